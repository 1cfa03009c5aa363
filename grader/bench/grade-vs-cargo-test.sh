#!/usr/bin/env bash
# Benchmark: grading the reference of every lab (all tiers) with warm dependencies, against a
# bare `cargo test` of the same tests, each after the sources changed. Prints both times and
# their ratio. Run from anywhere: bash grader/bench/grade-vs-cargo-test.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
refs=(lab1-race lab1-lock lab1-semaphore lab1-queue lab2-async)
loom_refs=(lab1-race lab1-lock lab1-semaphore lab1-queue)

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
seconds() { calc "$2 - $1"; }
# Changes every reference a little (a constant of its own, new each time), as a new submission
# would: in place for the bare run, which builds the workspace's reference crates, and in a
# copy of the references handed to the grader as the submission. The references themselves
# are put back before each grading: the grader times them once and keeps that under a digest
# of their sources, and a reference changed in place would be timed again, which a real
# submission never causes. A mere `touch` would let rustc's incremental cache rebuild the same
# sources for almost nothing.
originals=$(mktemp -d)
submission=$(mktemp -d)
for lab in "${refs[@]}"; do cp "solutions/$lab/src/lib.rs" "$originals/$lab.rs"; done
cp -r solutions/. "$submission"
restore() {
    for lab in "${refs[@]}"; do cp "$originals/$lab.rs" "solutions/$lab/src/lib.rs"; done
    rm -rf "$originals" "$submission"
}
trap restore EXIT
# Writes each reference plus a constant `$2` into the folder `$1`.
change_sources() {
    for lab in "${refs[@]}"; do
        cp "$originals/$lab.rs" "$1/$lab/src/lib.rs"
        printf '\n/// A change.\npub const CHANGE: &str = "%s";\n' "$2" >>"$1/$lab/src/lib.rs"
    done
}
put_back_references() {
    for lab in "${refs[@]}"; do cp "$originals/$lab.rs" "solutions/$lab/src/lib.rs"; done
}

bare_cargo_test() {
    local packages=() loom_packages=()
    for lab in "${refs[@]}"; do packages+=(-p "$lab-reference"); done
    for lab in "${loom_refs[@]}"; do loom_packages+=(-p "$lab-reference"); done
    cargo test -q --offline --locked "${packages[@]}" --test visible --test hidden >/dev/null 2>&1
    RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -q --offline --locked --release \
        "${loom_packages[@]}" --test loom >/dev/null 2>&1
}

grade_submission() {
    put_back_references
    ./target/release/grader grade "$submission" --format json --out /dev/null 2>/dev/null
}

echo "warming up (dependencies, both ways)..."
cargo build -q --release -p grader
grade_submission
bare_cargo_test

total_grade=0
total_bare=0
for run in $(seq "$runs"); do
    change_sources "$submission" "grade-$run"
    start=$(now); grade_submission; grade=$(seconds "$start" "$(now)")
    change_sources solutions "bare-$run"
    start=$(now); bare_cargo_test; bare=$(seconds "$start" "$(now)")
    printf 'run %d: grader %.1f s, bare cargo test %.1f s\n' "$run" "$grade" "$bare"
    total_grade=$(calc "$total_grade + $grade")
    total_bare=$(calc "$total_bare + $bare")
done
printf 'mean: grader %.1f s, bare cargo test %.1f s, ratio %.2fx\n' \
    "$(calc "$total_grade / $runs")" "$(calc "$total_bare / $runs")" \
    "$(calc "$total_grade / $total_bare")"
