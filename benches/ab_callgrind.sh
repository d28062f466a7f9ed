#!/usr/bin/env bash
# A/B cost of a change to the training step, in instructions (valgrind
# callgrind), which stays repeatable on a loaded machine where wall time does
# not. Issue #11 uses it to show what the backend seam costs.
#
# usage: benches/ab_callgrind.sh BEFORE_REV [AFTER_REV] [-- extra `csnas bench` flags]
#   e.g. benches/ab_callgrind.sh 64a4c4d HEAD -- --genotype random
#
# Builds `csnas` in release mode at both revisions (git worktrees under
# target/ab/, one shared CARGO_TARGET_DIR so dependencies build once), then,
# for each binary, counts the instructions of `csnas bench --threads 1
# --warmup 0 --no-profile` with --reps 1 and with --reps 3: the difference,
# halved, is the instructions of one training step (network building, data
# drawing and start-up cancel out). Prints both per-step counts and the
# relative change. One thread, so the count does not depend on scheduling.
set -euo pipefail
before=${1:?usage: $0 BEFORE_REV [AFTER_REV] [-- bench flags]}
shift
after=HEAD
if [[ $# -gt 0 && $1 != -- ]]; then after=$1; shift; fi
[[ ${1:-} == -- ]] && shift
extra=("$@")
root=$(git rev-parse --show-toplevel)
ab=$root/target/ab
mkdir -p "$ab"
export CARGO_TARGET_DIR=$ab/target

build() { # rev name
    local dir=$ab/src-$2
    rm -rf "$dir"
    git -C "$root" worktree prune
    git -C "$root" worktree add --detach --force "$dir" "$1" >/dev/null
    (cd "$dir" && nice -n 10 cargo build --release --quiet --bin csnas)
    cp "$CARGO_TARGET_DIR/release/csnas" "$ab/csnas-$2"
    git -C "$root" worktree remove --force "$dir"
}

count() { # binary reps -> total instructions
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$1" bench --threads 1 \
        --warmup 0 --reps "$2" --no-profile "${extra[@]}" >/dev/null 2>&1
    awk '/^summary:/ {print $2}' "$out"
    rm -f "$out"
}

build "$before" before
build "$after" after
echo "load before counting: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A step
for name in before after; do
    one=$(count "$ab/csnas-$name" 1)
    three=$(count "$ab/csnas-$name" 3)
    step[$name]=$(( (three - one) / 2 ))
    echo "$name ($( [[ $name == before ]] && echo "$before" || echo "$after")): reps 1 $one, reps 3 $three, per step ${step[$name]} instructions"
done
awk -v b="${step[before]}" -v a="${step[after]}" \
    'BEGIN { printf "after/before per step: %.4f (%+.2f%%)\n", a / b, 100 * (a - b) / b }'
