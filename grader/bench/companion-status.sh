#!/usr/bin/env bash
# Benchmark: `cargo labs` (the student's companion) in a fresh copy of the release, warm: every
# lab's table answered from what it remembers, and again after one lab's file changed (that lab
# alone is checked again). Prints the mean of each over N runs.
# Run from anywhere: bash grader/bench/companion-status.sh [runs]   (default: 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }

echo "writing the release and warming its build (references in every lab)..."
cargo run -q --release -p grader -- release "$work/release" >/dev/null
for lab in lab1-race lab1-lock lab1-semaphore lab1-queue lab2-async; do
    cp "solutions/$lab/src/lib.rs" "$work/release/$lab/src/lib.rs"
done
cd "$work/release"
cargo labs >/dev/null

total_warm=0
total_changed=0
for run in $(seq "$runs"); do
    start=$(now); cargo labs >/dev/null; warm=$(calc "$(now) - $start")
    printf '\n// change %s\n' "$run" >>lab1-lock/src/lib.rs
    start=$(now); cargo labs >/dev/null; changed=$(calc "$(now) - $start")
    printf 'run %d: warm %.2f s, after a change to lab1-lock %.2f s\n' "$run" "$warm" "$changed"
    total_warm=$(calc "$total_warm + $warm")
    total_changed=$(calc "$total_changed + $changed")
done
printf 'mean: warm %.2f s, after a change to lab1-lock %.2f s\n' \
    "$(calc "$total_warm / $runs")" "$(calc "$total_changed / $runs")"
