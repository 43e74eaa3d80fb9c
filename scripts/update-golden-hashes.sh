#!/usr/bin/env bash
# Rewrites fixtures/golden-trace-hashes.txt after an intended change of behaviour.
# Golden hashes pin determinism (same seed, same bytes); they are not expectations:
# those are written by hand in each scenario.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" "$build" >&2
out="$root/fixtures/golden-trace-hashes.txt"
{
  echo "# seed scenario trace-hash; written by scripts/update-golden-hashes.sh"
  for seed in 1 7; do
    "$build/sim/tasksim" run --seed "$seed" "$root"/scenarios/*.json |
      awk -v s="$seed" '$1 == "PASS" || $1 == "FAIL" { sub("trace=", "", $3); print s, $2, $3 }'
  done
} >"$out"
echo "wrote $out ($(grep -vc '^#' "$out") hashes)"
