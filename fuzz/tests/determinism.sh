#!/usr/bin/env bash
# Generated workloads are deterministic: the same seed gives the same workloads and
# the same traces, in two processes whose heaps differ (ASLR, and a different fill of
# every block for the allocator in use: tests/heap_env.sh). Many workloads per run
# (one per generated case), each hash compared.
set -euo pipefail
tasksim=$1
seed=${2:-20261124}
runs=${3:-300}
source "$(dirname "$0")/../../tests/heap_env.sh"
a=$(mktemp) b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
echo "allocator $(heap_allocator "$tasksim"); run A: $(heap_env A); run B: $(heap_env B)"
env $(heap_env A) "$tasksim" fuzz --seed "$seed" --runs "$runs" --steps 200 --hashes >"$a"
env $(heap_env B) "$tasksim" fuzz --seed "$seed" --runs "$runs" --steps 200 --hashes >"$b"
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
