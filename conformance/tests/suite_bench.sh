#!/usr/bin/env bash
# The whole suite against the embedded server: with the test clock (target < 10 s)
# and in real time (target < 60 s).
set -euo pipefail
taskconform=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t0=$(date +%s.%N)
"$taskconform" run --report-dir "$work/v" >"$work/v.txt" 2>&1 || { cat "$work/v.txt"; exit 1; }
t1=$(date +%s.%N)
"$taskconform" run --real-time --report-dir "$work/r" >"$work/r.txt" 2>&1 || true
t2=$(date +%s.%N)
virtual_s=$(echo "$t1 - $t0" | bc)
real_s=$(echo "$t2 - $t1" | bc)
grep "taskconform:" "$work/v.txt" "$work/r.txt"
echo "suite: test clock ${virtual_s} s (target 10), real time ${real_s} s (target 60)"
(( $(echo "$virtual_s < 10" | bc) )) && (( $(echo "$real_s < 60" | bc) ))
