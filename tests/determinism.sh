#!/usr/bin/env bash
# Runs every scenario in two separate processes whose heaps differ (ASLR, and a
# different fill of every block for the allocator in use: tests/heap_env.sh), with two
# seeds, and checks that each scenario's trace hash is the same in both runs and equal
# to the golden hash committed in fixtures/ (GOLDEN_FILE "-": no golden comparison).
# usage: determinism.sh TASKSIM SCENARIO_DIR GOLDEN_FILE
set -euo pipefail
tasksim=$1 dir=$2 golden=$3
source "$(dirname "$0")/heap_env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "determinism: allocator $(heap_allocator "$tasksim"); run A: $(heap_env A); run B: $(heap_env B)"

hashes() {  # seed A|B -> "name hash" lines
  env $(heap_env "$2") "$tasksim" run --seed "$1" "$dir"/*.json >"$work/out" || true
  awk '$1 == "PASS" || $1 == "FAIL" { sub("trace=", "", $3); print $2, $3 }' "$work/out" | sort
}

status=0
for seed in 1 7; do
  hashes "$seed" A >"$work/a.$seed"
  hashes "$seed" B >"$work/b.$seed"
  if ! diff -u "$work/a.$seed" "$work/b.$seed"; then
    echo "determinism: seed $seed gave different traces in two processes" >&2
    status=1
  fi
  [[ $golden == - ]] && continue
  awk -v s="$seed" '$1 == s { print $2, $3 }' "$golden" | sort >"$work/golden.$seed"
  if ! diff -u "$work/golden.$seed" "$work/a.$seed"; then
    echo "determinism: seed $seed traces differ from $golden" >&2
    echo "  (after an intended change of behaviour, run scripts/update-golden-hashes.sh)" >&2
    status=1
  fi
done
count=$(wc -l <"$work/a.1")
[[ $count -gt 0 ]] || { echo "determinism: no scenario ran" >&2; exit 1; }
echo "determinism: $count scenarios x 2 seeds, identical across processes$([[ $golden == - ]] || echo " and equal to golden")"
exit $status
