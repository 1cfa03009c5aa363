#!/usr/bin/env bash
# Benchmark: `grader batch -j 2 --regrade` on synthetic classes, with warm dependencies. Each
# student is a copy of the lab folders: most hand in the references, every fifth the stubs,
# student 2 an off-by-one in lab1-race and, in classes of 10 or more, student 3 a semaphore that
# admits one too many (the corpus fixture `semaphore-admits-n-plus-one`). Prints each class's
# size, its grading time, and the time per student.
# Run from anywhere: bash grader/bench/batch-class.sh [class sizes]   (default: 5 10 20)
# Extra arguments for the grader go in GRADER_ARGS, e.g.
#   GRADER_ARGS="--lab lab1-race" bash grader/bench/batch-class.sh 2
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -eq 0 ]; then set -- 5 10 20; fi
read -r -a grader_args <<<"${GRADER_ARGS:-}"
labs=(lab1-race lab1-lock lab1-semaphore lab1-queue lab2-async)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }

# What student number $1 of a class of $2 hands in.
kind_of() {
    if (($1 % 5 == 0)); then echo stub
    elif (($1 == 2)); then echo race-bug
    elif (($1 == 3 && $2 >= 10)); then echo semaphore-bug
    else echo reference
    fi
}

# Replaces the text $2 with $3 in the file $1, which must hold it.
mutate() {
    local text
    text=$(<"$1")
    if [[ $text != *"$2"* ]]; then
        echo "batch-class: $1 no longer holds '$2'" >&2
        exit 1
    fi
    printf '%s\n' "${text/"$2"/"$3"}" >"$1"
}

# Writes a submission of kind $2 (reference, stub, race-bug, semaphore-bug) in the folder $1.
# Every lab gets a constant of the student's own, so no two submissions are the same source
# (identical ones would rebuild from rustc's incremental cache for almost nothing).
hand_in() {
    mkdir -p "$1"
    for lab in "${labs[@]}"; do
        cp -R "$lab" "$1/$lab"
        if [ "$2" != stub ]; then cp "solutions/$lab/src/lib.rs" "$1/$lab/src/lib.rs"; fi
        printf '\n/// Who handed this in.\npub const STUDENT: &str = "%s";\n' "$(basename "$1")" \
            >>"$1/$lab/src/lib.rs"
    done
    case $2 in
        race-bug) mutate "$1/lab1-race/src/lib.rs" "store(current + 1," "store(current + 2," ;;
        semaphore-bug)
            mutate "$1/lab1-semaphore/src/lib.rs" "free: Mutex::new(permits)," \
                "free: Mutex::new(permits + 1),"
            ;;
    esac
}

# Writes a class of $2 students in the folder $1.
make_class() {
    for student in $(seq "$2"); do
        hand_in "$(printf '%s/s%02d' "$1" "$student")" "$(kind_of "$student" "$2")"
    done
}

# Grades the class $1 into the folder $2; on failure shows the grader's output and stops.
batch() {
    if ! ./target/release/grader batch "$1" -j 2 --out "$2" --regrade "${grader_args[@]}" \
        >"$work/batch.log" 2>&1; then
        cat "$work/batch.log" >&2
        exit 1
    fi
}

# Each student's total from the grades.csv in the folder $1, on one line.
totals() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
             { printf "%s%s %s/%s", (NR > 2 ? ", " : ""), $1, $column["total"], $column["max"] }
             END { print "" }' "$1/grades.csv"
}

echo "building the grader, warming dependencies (grader arguments: ${grader_args[*]:-none})..."
cargo build -q --release -p grader
make_class "$work/warm" 1
batch "$work/warm" "$work/warm-out"

rows=()
for size in "$@"; do
    make_class "$work/class-$size" "$size"
    start=$(now)
    batch "$work/class-$size" "$work/out-$size"
    seconds=$(calc "$(now) - $start")
    echo "$size students: $(totals "$work/out-$size")"
    rows+=("$(printf '%8d %9.1f %11.2f' "$size" "$seconds" "$(calc "$seconds / $size")")")
done
printf '\n%8s %9s %11s\n' students seconds s/student
printf '%s\n' "${rows[@]}"
