#!/usr/bin/env bash
# The day-1k benchmark and its targets: speedup >= 1,000 (aim 10,000) on one core, and
# memory flat in the length of the run (96 h of virtual time costs no more than 24 h).
# usage: bench_day1k.sh TASKSIM
set -euo pipefail
tasksim=$1
day=$("$tasksim" bench --json --hours 24)
long=$("$tasksim" bench --json --hours 96)
echo "day-1k 24h: $day"
echo "day-1k 96h: $long"
field() { sed -E "s/.*\"$2\":\"?([0-9.a-f]+)\"?[,}].*/\1/" <<<"$1"; }
speedup=$(field "$day" speedup)
rss_day=$(field "$day" max_rss_kib)
rss_long=$(field "$long" max_rss_kib)
status=0
if (( ${speedup%.*} < 1000 )); then echo "bench: speedup $speedup is below the target 1000" >&2; status=1; fi
# Flat: the 4x longer run may use at most 25% + 4 MiB more memory.
if (( rss_long > rss_day * 5 / 4 + 4096 )); then
  echo "bench: memory grows with the run: $rss_day KiB for 24 h, $rss_long KiB for 96 h" >&2
  status=1
fi
echo "bench: speedup ${speedup}x (target 1000, aim 10000); max RSS ${rss_day} KiB (24 h) vs ${rss_long} KiB (96 h)"
exit $status
