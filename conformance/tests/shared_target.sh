#!/usr/bin/env bash
# A shared, long-lived target: tasksim serve (test clock on) already holding 1,000
# foreign tasks, with another client changing them while the suite runs. Every
# scenario that can run on a shared server must pass and every MUST rule must hold.
# usage: shared_target.sh TASKSIM TASKCONFORM
set -euo pipefail
tasksim=$1 taskconform=$2
work=$(mktemp -d)
"$tasksim" serve --port 0 --token shared-secret --clock virtual >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ -n $url ]] || { echo "shared: the server did not start" >&2; exit 1; }

python3 - "$url" "$work/churn.stop" <<'PY' &
import json, os, random, sys, threading, time, urllib.request
url, stop = sys.argv[1], sys.argv[2]
H = {"Authorization": "Bearer shared-secret", "Content-Type": "application/json"}
def call(method, path, body=None):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None, headers=H, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")
types = ["type.googleapis.com/anduril.tasks.v2.Investigate", "type.googleapis.com/acme.tasks.Survey"]
for i in range(1000):
    call("POST", "/api/v1/tasks", {"taskId": f"foreign-{i:04d}", "specification": {"@type": types[i % 2]}})
open(stop + ".seeded", "w").close()
statuses = ["STATUS_SENT", "STATUS_ACK", "STATUS_WILCO", "STATUS_EXECUTING", "STATUS_WAITING_FOR_UPDATE"]
rng, deadline, changes = random.Random(7), time.time() + 120, 0
while not os.path.exists(stop) and time.time() < deadline and changes < 20000:
    tid = f"foreign-{rng.randrange(1000):04d}"
    try:
        t = call("GET", "/api/v1/tasks/" + tid)
        call("PUT", f"/api/v1/tasks/{tid}/status", {"statusVersion": t["version"]["statusVersion"], "newStatus": {"status": rng.choice(statuses)}})
        changes += 1
    except Exception:
        pass  # a lost race with ourselves is no finding
print(f"churn: {changes} foreign changes", file=sys.stderr)
PY
churn=$!
for _ in $(seq 1 600); do [[ -e $work/churn.stop.seeded ]] && break; sleep 0.1; done
[[ -e $work/churn.stop.seeded ]] || { echo "shared: seeding 1,000 tasks did not finish" >&2; exit 1; }
set +e
"$taskconform" run --target "$url" --token shared-secret --report-dir "$work/report" >"$work/run.out" 2>&1
status=$?
set -e
touch "$work/churn.stop"
wait $churn
grep -E "^(FAIL|ERROR|INCONCLUSIVE)|taskconform:" "$work/run.out" || true
if [[ $status -ne 0 ]]; then
  echo "shared: taskconform exited $status against a shared server" >&2
  cat "$work/run.out" >&2
  exit 1
fi
echo "shared: every MUST rule holds with 1,000 foreign tasks changing underneath"
