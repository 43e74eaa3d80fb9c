#!/usr/bin/env bash
# A cassette is an untrusted file: tasksim replay refuses a malformed one with exit 2
# and the JSON path of what is wrong (never a crash), and a well-formed one whose
# recorded values are strange (event data of any type) is judged without a crash.
# usage: replay_corrupt.sh TASKSIM FIXTURES
set -uo pipefail
tasksim=$1 fixtures=$2
good=$fixtures/cassettes/correct/STREAM-RL-001.cassette.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# name, then a python expression over the cassette `c` (a dict) or raw text `t`, then
# what stderr must say.
corrupt() {
  local name=$1 code=$2 want=$3
  python3 - "$good" "$work/$name.json" "$code" <<'PY'
import json, sys
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
t = open(src, encoding="utf-8").read()
c = json.loads(t)
out = None
exec(code)
if out is None:
    out = json.dumps(c)
open(dst, "w", encoding="utf-8", errors="surrogateescape").write(out)
PY
  "$tasksim" replay "$work/$name.json" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  if [[ $rc -ne 2 ]] || ! grep -qF -- "$want" "$work/$name.err"; then
    echo "FAIL: $name: exit $rc (expected 2), stderr does not say \"$want\":" >&2
    head -5 "$work/$name.err" >&2
    status=1
  else
    echo "refused $name: $(head -1 "$work/$name.err" | sed "s|$work/||" | cut -c1-150)"
  fi
}

corrupt truncated 'out = t[: len(t) // 2]' 'not a cassette: not JSON'
corrupt deep 'out = "[" * 100000 + "]" * 100000' 'nested deeper than'
corrupt not-object 'out = "[1,2,3]"' '$: not a JSON object'
corrupt event-time-string 'c["record"]["streams"][0]["events"][0]["tMs"] = "x"' '$.record.streams[0].events[0].tMs: expected an integer, saw the string "x"'
corrupt status-null 'c["record"]["requests"][0]["status"] = None' '$.record.requests[0].status: expected an integer, saw null'
corrupt step-negative 'c["record"]["requests"][0]["step"] = -1' '$.record.requests[0].step: expected a non-negative integer'
corrupt failures-number 'c["header"]["failures"] = 5' '$.header.failures: expected an array, saw the number 5'
corrupt auth-unknown 'c["record"]["requests"][0]["auth"] = "root"' '$.record.requests[0].auth: expected none, valid or invalid'
corrupt chunk-base64-number 'c["wire"]["streams"][next(iter(c["wire"]["streams"]))]["chunks"][0] = {"tUs": 1, "base64": 7}' 'chunks[0].base64: expected a string'
corrupt verdict-unknown 'c["verdicts"]["SSE-001"] = "MAYBE"' '$.verdicts.SSE-001: expected PASS, FAIL or INCONCLUSIVE'
corrupt scenario-steps 'c["scenario"]["steps"] = "x"' '$.scenario: not a scenario'
corrupt events-missing 'del c["record"]["streams"][0]["events"]' '$.record.streams[0].events: missing'
corrupt observed-not-object 'c["observed"] = [1]' '$.observed: expected an object'
corrupt format-2 'c["cassette"] = 2' 'format 2 is not the format this build reads'

mkdir -p "$work/dir.cassette.json"
"$tasksim" replay "$work/dir.cassette.json" >/dev/null 2>"$work/dir.err"
if [[ $? -ne 2 ]]; then echo "FAIL: a directory was not refused with exit 2" >&2; status=1; fi

# Well-formed, strange values: judged, never a crash (exit 0 or 1).
python3 - "$good" "$work/strange.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
weird = [None, 5, "text", [1, [2]], {"event": 7}, {"event": "task_event", "taskEvent": "x"},
         {"event": "task_event", "taskEvent": {"task": {"version": {"taskId": 9, "statusVersion": "3"}}}},
         {"event": "heartbeat", "timestamp": 12}]
for st in c["record"]["streams"]:
    for i, e in enumerate(st["events"]):
        e["data"] = weird[i % len(weird)]
for q in c["record"]["requests"]:
    q["response"] = weird[q["step"] % len(weird)]
    q["body"] = weird[(q["step"] + 3) % len(weird)]
for name, o in c["observed"].items():
    o["messages"] = [{"event": 5, "t_ms": "x", "taskId": 3}] * 3
json.dump(c, open(sys.argv[2], "w"))
PY
"$tasksim" replay --report-dir "$work/strange-report" "$work/strange.json" >"$work/strange.out" 2>&1
rc=$?
if [[ $rc -ne 0 && $rc -ne 1 ]]; then
  echo "FAIL: a cassette with strange recorded values: exit $rc" >&2
  tail -5 "$work/strange.out" >&2
  status=1
else
  echo "judged a cassette with strange recorded values: exit $rc"
fi

# Random byte changes: every outcome is an exit status, never a signal.
python3 - "$good" "$work/mut" <<'PY'
import random, sys
data = open(sys.argv[1], "rb").read()
rng = random.Random(20261130)
for i in range(40):
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(b))
        b[at] = rng.choice(b'{}[]",:0123456789 \\\xff\x00nulltrue')
    open(f"{sys.argv[2]}.{i}.json", "wb").write(bytes(b))
PY
for f in "$work"/mut.*.json; do
  "$tasksim" replay "$f" >/dev/null 2>&1
  rc=$?
  if [[ $rc -gt 2 ]]; then echo "FAIL: $(basename "$f"): exit $rc" >&2; status=1; fi
done
echo "40 randomly corrupted cassettes: each refused or judged, none crashed"
exit $status
