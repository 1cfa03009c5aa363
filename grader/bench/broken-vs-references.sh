#!/usr/bin/env bash
# Benchmark: grading a broken submission of the four Lab 1 labs against grading their
# references, warm, side by side. The broken one is three fixtures of the hostile corpus
# handed in together, each a bug that hangs: a spin lock never released, a permit given back
# that wakes no one, a last `task_done` that wakes no one. Prints both means and their ratio.
# Usage: bash grader/bench/broken-vs-references.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-3}"
fixtures="spin-lock-never-released,semaphore-release-never-notifies,queue-task-done-never-notifies"
labs=(--lab lab1-race --lab lab1-lock --lab lab1-semaphore --lab lab1-queue)

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }

kept=$(mktemp -d)
trap 'rm -rf "$kept"' EXIT
echo "writing the broken submission from the corpus ($fixtures)..."
CORPUS_KEEP="$kept" CORPUS_GRADINGS=1 CORPUS_ONLY="$fixtures" \
    cargo test -q -p grader --test corpus >/dev/null 2>&1 || true
broken="$kept/${fixtures//,/+}"
[ -d "$broken" ] || { echo "the corpus wrote no $broken" >&2; exit 1; }

cargo build -q --release -p grader
grade() { ./target/release/grader grade "$1" "${labs[@]}" --format json --out /dev/null 2>/dev/null || true; }
echo "warming up..."
grade solutions
grade "$broken"

total_refs=0
total_broken=0
for run in $(seq "$runs"); do
    start=$(now); grade solutions; refs=$(calc "$(now) - $start")
    start=$(now); grade "$broken"; bad=$(calc "$(now) - $start")
    printf 'run %d: references %.1f s, broken %.1f s\n' "$run" "$refs" "$bad"
    total_refs=$(calc "$total_refs + $refs")
    total_broken=$(calc "$total_broken + $bad")
done
printf 'mean: references %.1f s, broken %.1f s, ratio %.2fx\n' \
    "$(calc "$total_refs / $runs")" "$(calc "$total_broken / $runs")" \
    "$(calc "$total_broken / $total_refs")"
