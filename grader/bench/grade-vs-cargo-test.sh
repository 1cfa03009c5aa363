#!/usr/bin/env bash
# Benchmark: grading the reference of every lab (all tiers) with warm dependencies, against a
# bare `cargo test` of the same tests after the same sources changed. Prints both times and
# their ratio. Run from anywhere: bash grader/bench/grade-vs-cargo-test.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
refs=(lab1-race lab1-lock lab1-semaphore lab1-queue lab2-async)
loom_refs=(lab1-race lab1-lock lab1-semaphore lab1-queue)

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
seconds() { calc "$2 - $1"; }
touch_sources() { touch solutions/*/src/lib.rs; }

bare_cargo_test() {
    local packages=() loom_packages=()
    for lab in "${refs[@]}"; do packages+=(-p "$lab-reference"); done
    for lab in "${loom_refs[@]}"; do loom_packages+=(-p "$lab-reference"); done
    cargo test -q --offline --locked "${packages[@]}" --test visible --test hidden >/dev/null 2>&1
    RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -q --offline --locked --release \
        "${loom_packages[@]}" --test loom >/dev/null 2>&1
}

grade_reference() {
    ./target/release/grader grade solutions --format json --out /dev/null 2>/dev/null
}

echo "warming up (dependencies, both ways)..."
cargo build -q --release -p grader
grade_reference
bare_cargo_test

total_grade=0
total_bare=0
for run in $(seq "$runs"); do
    touch_sources
    start=$(now); grade_reference; grade=$(seconds "$start" "$(now)")
    touch_sources
    start=$(now); bare_cargo_test; bare=$(seconds "$start" "$(now)")
    printf 'run %d: grader %.1f s, bare cargo test %.1f s\n' "$run" "$grade" "$bare"
    total_grade=$(calc "$total_grade + $grade")
    total_bare=$(calc "$total_bare + $bare")
done
printf 'mean: grader %.1f s, bare cargo test %.1f s, ratio %.2fx\n' \
    "$(calc "$total_grade / $runs")" "$(calc "$total_bare / $runs")" \
    "$(calc "$total_grade / $total_bare")"
