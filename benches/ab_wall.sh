#!/usr/bin/env bash
# A/B wall time of the training step between two csnas binaries, alternating
# (A, B, A, B, ...) so drift in the machine's speed falls on both sides, all
# in one run: per genotype and thread count, the median over rounds of each
# binary's `csnas bench` step median, the ratio B/A, and both peak RSS.
# Issue #11 uses it for the seam's before/after table (64a4c4d vs main).
#
# Usage: benches/ab_wall.sh A_BIN B_BIN [ROUNDS] [THREADS...]
#   e.g. benches/ab_wall.sh /tmp/csnas-before target/release/csnas 3 1 2
# Env: GENOTYPES (default "DARTS_V2 random"), REPS (5), WARMUP (2), plus any
# `csnas bench` flags both binaries take in EXTRA (e.g. "--channels 16").
set -euo pipefail
a=${1:?usage: $0 A_BIN B_BIN [ROUNDS] [THREADS...]}
b=${2:?usage: $0 A_BIN B_BIN [ROUNDS] [THREADS...]}
rounds=${3:-3}
shift 3 || shift $#
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 "$(nproc)")
tlist=$(IFS=,; echo "${threads[*]}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load before: $(uptime)" >&2
for r in $(seq 1 "$rounds"); do
  for g in ${GENOTYPES:-DARTS_V2 random}; do
    for side in a b; do
      bin=$a; [ $side = b ] && bin=$b
      # shellcheck disable=SC2086
      "$bin" bench --json --no-profile --threads "$tlist" --genotype "$g" \
        --reps "${REPS:-5}" --warmup "${WARMUP:-2}" ${EXTRA:-} > "$out/$side.$g.$r.json"
    done
    echo "round $r $g done" >&2
  done
done
echo "load after: $(uptime)" >&2
python3 - "$out" "$a" "$b" <<'PY'
import glob, json, os, statistics, sys
out, a, b = sys.argv[1:4]
rows = {}
for path in glob.glob(os.path.join(out, "*.json")):
    side, g, _ = os.path.basename(path)[:-5].split(".")
    for run in json.load(open(path))["runs"]:
        rows.setdefault((g, run["threads"]), {}).setdefault(side, []).append(run)
print(f"A = {a}\nB = {b}")
print("| genotype | threads | A step | B step | B/A | A peak RSS | B peak RSS |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for (g, t) in sorted(rows):
    s = rows[(g, t)]
    med = lambda side: statistics.median(r["step_median_s"] for r in s[side]) * 1e3
    rss = lambda side: statistics.median((r["peak_rss_kib"] or 0) for r in s[side]) / 1024
    print(f"| {g} | {t} | {med('a'):.1f} ms | {med('b'):.1f} ms | {med('b') / med('a'):.3f} | {rss('a'):.0f} MiB | {rss('b'):.0f} MiB |")
PY
