#!/usr/bin/env bash
# A/B wall-clock of two csnas binaries on the training step, alternating
# (A, B, A, B, ...) so that load drifting over the run hits both alike, and
# reporting each side's minimum step time per thread count (the minimum is
# the figure least disturbed by other work on a shared machine; the load
# average is printed before and after — quote it with the figures).
# Threading changes cannot be seen in instruction counts (ab_callgrind.sh);
# this is the check for them.
#
# usage: benches/ab_wall.sh BIN_A BIN_B [ROUNDS] [-- extra `csnas bench` flags]
#   e.g. benches/ab_wall.sh /tmp/csnas-before target/release/csnas 5 -- --genotype random
set -euo pipefail
a=${1:?usage: $0 BIN_A BIN_B [ROUNDS] [-- bench flags]}
b=${2:?usage: $0 BIN_A BIN_B [ROUNDS] [-- bench flags]}
shift 2
rounds=3
if [[ $# -gt 0 && $1 != -- ]]; then rounds=$1; shift; fi
[[ ${1:-} == -- ]] && shift
extra=("$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
    for side in a b; do
        bin=$a; [[ $side == b ]] && bin=$b
        "$bin" bench --json --threads 1,2 --reps 3 --warmup 1 --no-profile "${extra[@]}" \
            > "$out/$side.$r.json"
    done
    echo "round $r done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$a" "$b" <<'PY'
import glob, json, os, sys
out, a, b = sys.argv[1:4]
mins = {}
for path in glob.glob(os.path.join(out, "*.json")):
    side = os.path.basename(path).split(".")[0]
    for run in json.load(open(path))["runs"]:
        key = (run["threads"], side)
        mins[key] = min(mins.get(key, 1e9), run["step_min_s"])
print("threads  A min step  B min step  B/A")
for t in sorted({k[0] for k in mins}):
    ma, mb = mins[(t, "a")], mins[(t, "b")]
    print("%7d  %8.1f ms  %8.1f ms  %.3f" % (t, ma * 1e3, mb * 1e3, mb / ma))
print("A =", a)
print("B =", b)
PY
