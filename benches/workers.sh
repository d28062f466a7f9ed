#!/usr/bin/env bash
# benches/WORKERS.md: trials per hour of the default search (batch 2, 4
# trials) at 1 worker x 2 threads vs 2 workers x 1 thread, alternating
# A B A B, with the load average before and after each run.
# usage: cargo build --release && bash benches/workers.sh
set -u
B=${B:-target/release/csnas}
OUT=${OUT:-target/workers-measure}
mkdir -p $OUT
for round in 1 2; do
  for mode in "1 2" "2 1"; do
    set -- $mode
    d=$OUT/w$1-t$2-r$round; rm -rf $d
    l0=$(cut -d' ' -f1 /proc/loadavg)
    s=$(date +%s.%N)
    $B search --quiet --batch 2 --trials 4 --workers $1 --threads $2 --out $d > $d.out 2>&1
    rc=$?
    e=$(date +%s.%N)
    l1=$(cut -d' ' -f1 /proc/loadavg)
    echo "workers=$1 threads=$2 round=$round rc=$rc wall=$(echo "$e - $s" | bc) load_before=$l0 load_after=$l1 head=$(head -1 $d.out)" | tee -a $OUT/results.txt
  done
done
