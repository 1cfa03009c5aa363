#!/usr/bin/env bash
# Grades the fair and hostile corpora N times each (default 10) and prints every lab of a
# fixture whose outcome or score varied between gradings, then how many such lines. Usage:
#   bash grader/bench/corpus-repeat.sh [N] [fixture,fixture,...]
set -euo pipefail
cd "$(dirname "$0")/../.."
gradings="${1:-10}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$(date +%s)
if [ -n "${2:-}" ]; then export CORPUS_ONLY="$2"; fi
CORPUS_GRADINGS="$gradings" cargo test -p grader --test corpus -- --nocapture >"$log" 2>&1 || true
varied=$(grep -E "depends on the run|grading [0-9]+ scored" "$log" | sed 's/^ *//' | sort -u || true)
fixture='^test \[(hostile|fair)\] +[a-z0-9-]+ +\.\.\. '
graded=$(grep -cE "$fixture(ok|FAILED)$" "$log" || true)
echo "graded $graded fixtures $gradings times each in $(( $(date +%s) - start )) s"
if [ -n "$varied" ]; then
    echo "$varied"
fi
echo "outcomes that varied between gradings: $(printf '%s' "$varied" | grep -c . || true)"
grep -E "${fixture}FAILED$" "$log" || true
grep -E "^test result" "$log" || true
