#!/usr/bin/env bash
# Flakiness gate (a benchmark, run by hand or by scripts/bench.sh): the full suite
# against the correct reference server, RUNS times with the test clock and RT_RUNS
# times on the wall clock (--real-time), while another process keeps both cores busy.
# Reports, per rule, how many runs it FAILED (target: zero) and per scenario how many
# runs it did not pass.
set -uo pipefail
taskconform=$1
runs=${2:-50}
rt_runs=${3:-3}
work=$(mktemp -d)
hogs=()
cleanup() {
  for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
# The load: one busy loop per core, at the same priority as the suite.
for _ in $(seq "$(nproc)"); do
  bash -c 'while :; do :; done' &
  hogs+=($!)
done
play() {  # mode index
  local out="$work/$1-$2"
  if [ "$1" = rt ]; then
    "$taskconform" run --real-time --report-dir "$out" >"$out.txt" 2>&1
  else
    "$taskconform" run --report-dir "$out" >"$out.txt" 2>&1
  fi
}
start=$(date +%s)
for i in $(seq "$runs"); do play vt "$i"; done
for i in $(seq "$rt_runs"); do play rt "$i"; done
elapsed=$(( $(date +%s) - start ))
python3 - "$work" "$runs" "$rt_runs" "$elapsed" <<'PY'
import glob, json, os, sys
work, runs, rt_runs, elapsed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
bad = 0
for mode, n in (("vt", runs), ("rt", rt_runs)):
    rule_fail, scen_bad, read = {}, {}, 0
    for path in glob.glob(os.path.join(work, mode + "-*", "report.json")):
        read += 1
        r = json.load(open(path))
        for rule in r["rules"]:
            if rule["verdict"] == "FAIL":
                rule_fail[rule["id"]] = rule_fail.get(rule["id"], 0) + 1
        for s in r["scenarios"]:
            if s["verdict"] in ("FAIL", "ERROR"):
                scen_bad[s["name"]] = scen_bad.get(s["name"], 0) + 1
                why = s.get("reason") or "; ".join(s.get("failures", []))[:300]
                print(f"  {mode} run {os.path.basename(os.path.dirname(path))}: {s['name']} {s['verdict']}: {why}")
    label = "test clock" if mode == "vt" else "real time"
    print(f"flake gate, {label}: {read} of {n} full-suite runs with both cores loaded")
    for rid, c in sorted(rule_fail.items()):
        print(f"  rule {rid}: FAILED in {c} of {read} runs")
    for name, c in sorted(scen_bad.items()):
        print(f"  scenario {name}: failed or errored in {c} of {read} runs")
    if not rule_fail and not scen_bad:
        print("  no rule failed in any run")
    bad += sum(rule_fail.values()) + sum(scen_bad.values()) + (n - read)
print(f"flake gate: {'PASS' if bad == 0 else 'FAIL'} in {elapsed} s")
sys.exit(0 if bad == 0 else 1)
PY
