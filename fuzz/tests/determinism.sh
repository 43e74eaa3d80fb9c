#!/usr/bin/env bash
# Generated workloads are deterministic: the same seed gives the same workloads and
# the same traces, in two processes with different heap layouts. Many workloads per
# run (one per generated case), each hash compared.
set -euo pipefail
tasksim=$1
seed=${2:-20261124}
runs=${3:-300}
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
MALLOC_PERTURB_=17 "$tasksim" fuzz --seed "$seed" --runs "$runs" --steps 200 --hashes >"$a"
MALLOC_PERTURB_=201 "$tasksim" fuzz --seed "$seed" --runs "$runs" --steps 200 --hashes >"$b"
cases=$(grep -c ' trace=' "$a" || true)
distinct=$(grep ' trace=' "$a" | awk '{print $3}' | sort -u | wc -l)
if ! cmp -s "$a" "$b"; then
  echo "FAIL: seed $seed gave different workloads or traces in two runs:" >&2
  diff "$a" "$b" | head -20 >&2
  exit 1
fi
if [ "$cases" -lt "$runs" ] || [ "$distinct" -lt $((runs / 2)) ]; then
  echo "FAIL: expected $runs generated cases with mostly distinct traces, got $cases cases, $distinct distinct" >&2
  exit 1
fi
echo "PASS: $cases generated workloads ($distinct distinct traces), identical in two processes"
