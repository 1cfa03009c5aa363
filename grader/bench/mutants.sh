#!/usr/bin/env bash
# Measures how strong the graded tests are: cargo-mutants mutates each reference's
# `solutions/<lab>/src/lib.rs` and runs the lab's scored tests against every mutant.
#   1. on real threads: the `visible` and `hidden` targets of every lab, and task 2.5's
#      `routers` and `hidden_routers`;
#   2. under `--cfg loom` (release, as the grader runs it): the `loom` target of the Lab 1
#      crates, only for the mutants the first pass missed.
# Stress tests are left out: they are worth no points. A mutant that survives both passes must
# be listed, with a one-line reason, in grader/bench/mutants-equivalent.txt; the script fails
# naming any other. Needs `cargo install --locked cargo-mutants`. Usage:
#   bash grader/bench/mutants.sh            (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
out="$root/target/mutants"
equivalent="$root/grader/bench/mutants-equivalent.txt"
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)

# Pass 1: real threads, Lab 1 and Lab 2 apart, since cargo refuses a `--test` target that a
# package named lacks (and cargo-mutants would count that refusal as a mutant caught).
# cargo-mutants exits non-zero when a mutant survives; read its files.
threads_pass() {
    local name="$1" packages=() files=()
    shift
    while [ "$1" != -- ]; do
        packages+=(-p "$1-reference")
        files+=(-f "solutions/$1/src/lib.rs")
        shift
    done
    shift
    cargo mutants --jobs 1 --timeout 20 "${packages[@]}" "${files[@]}" \
        --output "$out/std-$name" -- "$@" || true
}
threads_pass lab1 lab1-race lab1-lock lab1-semaphore lab1-queue -- --test visible --test hidden
threads_pass lab2 lab2-async -- --test visible --test hidden --test routers --test hidden_routers
std="$out/std"
mkdir -p "$std"
for kind in caught missed timeout unviable; do
    cat "$out"/std-*/mutants.out/"$kind.txt" 2>/dev/null >"$std/$kind.txt" || true
done
count() { grep -c . "$1" 2>/dev/null || true; }
total=$(( $(count "$std/caught.txt") + $(count "$std/missed.txt") + $(count "$std/timeout.txt") + $(count "$std/unviable.txt") ))

# Pass 2: loom, over what pass 1 missed in the Lab 1 crates.
grep '^solutions/lab1-' "$std/missed.txt" >"$out/loom-candidates.txt" || true
if [ -s "$out/loom-candidates.txt" ]; then
    pattern=$(python3 -c 'import re,sys; print("^(" + "|".join(re.escape(l.rstrip("\n")) for l in sys.stdin) + ")$")' \
        <"$out/loom-candidates.txt")
    lab1=()
    for lab in lab1-race lab1-lock lab1-semaphore lab1-queue; do
        lab1+=(-p "$lab-reference" -f "solutions/$lab/src/lib.rs")
    done
    RUSTFLAGS="--cfg loom" cargo mutants --jobs 1 --timeout 60 --profile release \
        "${lab1[@]}" --re "$pattern" --output "$out/loom" -- --test loom || true
    loom_caught="$out/loom/mutants.out/caught.txt"
    [ -f "$loom_caught" ] || : >"$loom_caught"
else
    loom_caught=/dev/null
fi

# Survivors: missed on real threads and not caught by loom.
grep -vxFf "$loom_caught" "$std/missed.txt" >"$out/survivors.txt" || true
listed=$(sed -e 's/ *#.*$//' -e '/^$/d' "$equivalent")
unexplained=$(grep -vxF "$listed" "$out/survivors.txt" || true)
echo "mutants: $total; caught on threads: $(count "$std/caught.txt");" \
    "timed out (caught): $(count "$std/timeout.txt"); unviable: $(count "$std/unviable.txt");" \
    "caught by loom: $(count "$loom_caught"); missed: $(count "$out/survivors.txt");" \
    "in $(( ($(date +%s) - start) / 60 )) min"
if [ -n "$unexplained" ]; then
    echo "missed, and not in grader/bench/mutants-equivalent.txt:"
    echo "$unexplained"
    exit 1
fi
