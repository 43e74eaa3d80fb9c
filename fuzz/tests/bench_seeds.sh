#!/usr/bin/env bash
# Benchmark: generated 200-step workloads drawn, simulated and judged by every rule,
# per second on one core. Target >= 100.
set -euo pipefail
tasksim=$1
out=$("$tasksim" fuzz --bench --json --seed 1 --runs 300 --steps 200)
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
ok = r["seeds_per_s"] >= 100 and r["failing"] == 0
print(("PASS" if ok else "FAIL") + f": {r['seeds_per_s']} seeds/s (target >= 100), mean {r['mean_steps']} steps, {r['failing']} failing")
sys.exit(0 if ok else 1)
PY
