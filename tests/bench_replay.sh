#!/usr/bin/env bash
# Benchmark: replaying a 10-minute recording with 100 streams takes under 5 s.
# The recording: 100 streams (a mix of filters, rate limits and 5 s heartbeats) over
# 600 s of test-clock time while 20 tasks change every few seconds, recorded from the
# embedded reference server.
set -euo pipefail
tasksim=$1 taskconform=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/BENCH-REPLAY-001.json" <<'PY'
import json, sys
steps = []
for i in range(100):
    body = {"heartbeatIntervalMs": 5000}
    if i % 4 == 1: body["rateLimit"] = 1000
    if i % 4 == 2: body["statusFilter"] = {"statuses": ["STATUS_EXECUTING"], "filterType": "FILTER_TYPE_EXCLUSIVE"}
    if i % 4 == 3: body["taskType"] = {"taskTypePrefix": "type.googleapis.com/anduril."}
    steps.append({"at_ms": 0, "client": "watch", "do": "open_stream", "stream": f"s{i}", "body": body})
versions = {}
for t in range(20):
    body = {"taskId": f"bench-{t}"}
    if t % 2: body["specification"] = {"@type": "type.googleapis.com/anduril.tasks.v2.Investigate"}
    steps.append({"at_ms": 0, "client": "op", "do": "create_task", "body": body})
    versions[t] = 1
statuses = ["STATUS_SENT", "STATUS_ACK", "STATUS_WILCO", "STATUS_EXECUTING", "STATUS_WAITING_FOR_UPDATE"]
at = 0
while at < 600000 - 3000:
    at += 1500
    t = (at // 1500) % 20
    status = statuses[(at // 1500 // 20) % len(statuses)]
    steps.append({"at_ms": at, "client": "op", "do": "update_status", "task_id": f"bench-{t}",
                  "body": {"statusVersion": versions[t], "newStatus": {"status": status}}})
    versions[t] += 1
doc = {"format": 1, "name": "BENCH-REPLAY-001", "title": "100 streams for 10 minutes", "rules": ["STREAM-RL-002"],
       "clients": {"op": {"token": "tok-op"}, "watch": {"token": "tok-watch"}}, "steps": steps, "end_ms": 600000}
json.dump(doc, open(sys.argv[1], "w"))
PY
"$taskconform" run --report-dir "$work/report" --record "$work/cassettes" "$work/BENCH-REPLAY-001.json" >"$work/run.txt" 2>&1 || true
cassette="$work/cassettes/BENCH-REPLAY-001.cassette.json"
[ -f "$cassette" ] || { cat "$work/run.txt"; echo "FAIL: no recording" >&2; exit 1; }
size=$(du -m "$cassette" | cut -f1)
start=$(date +%s.%N)
"$tasksim" replay --verify "$cassette" >"$work/replay.txt" 2>&1
status=$?
end=$(date +%s.%N)
head -1 "$work/replay.txt"
python3 - "$start" "$end" "$size" "$status" <<'PY'
import sys
s = float(sys.argv[2]) - float(sys.argv[1])
ok = s < 5 and sys.argv[4] == "0"
print(("PASS" if ok else "FAIL") + f": replayed a 10-minute, 100-stream recording ({sys.argv[3]} MiB) in {s:.2f} s (target < 5 s)")
sys.exit(0 if ok else 1)
PY
