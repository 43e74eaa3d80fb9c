#!/usr/bin/env bash
# Coverage on a real target: the suite against `tasksim serve` with default options on
# the system clock (a shared, long-lived target: ids tagged, only the run's own tasks
# judged, scenarios needing other server options skipped). At least 85% of the
# scenarios must run, the run must exit 0, and every MUST rule must be judged PASS
# (this server has every test extension but the test clock, which no MUST rule needs).
# usage: coverage_real_time.sh TASKSIM TASKCONFORM
set -uo pipefail
tasksim=$1 taskconform=$2
work=$(mktemp -d)
"$tasksim" serve --port 0 --token coverage-secret >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ -n $url ]] || { echo "coverage: the server did not start" >&2; exit 1; }
"$taskconform" run --target "$url" --token coverage-secret --report-dir "$work/report" >"$work/run.out" 2>&1
status=$?
grep -E "^(FAIL|ERROR|INCONCLUSIVE|SKIP)|taskconform:" "$work/run.out"
[[ $status -eq 0 ]] || { echo "coverage: taskconform exited $status" >&2; cat "$work/run.out" >&2; exit 1; }
python3 - "$work/report/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
total = len(r["scenarios"])
ran = sum(1 for s in r["scenarios"] if s["verdict"] != "SKIP")
must = [x for x in r["rules"] if x["level"] == "MUST"]
not_pass = [f'{x["id"]} {x["verdict"]}' for x in must if x["verdict"] != "PASS"]
print(f"coverage: {ran} of {total} scenarios ran ({100.0 * ran / total:.1f}%); "
      f"{len(must) - len(not_pass)} of {len(must)} MUST rules PASS")
bad = False
if ran < 0.85 * total:
    print("coverage: fewer than 85% of the scenarios ran", file=sys.stderr)
    bad = True
if not_pass:
    print("coverage: MUST rules not judged PASS: " + ", ".join(not_pass), file=sys.stderr)
    bad = True
sys.exit(1 if bad else 0)
PY
