#!/usr/bin/env bash
# taskconform run --target against the hostile server in one mode: it must exit 1 or 2
# (never 0, never a crash), write index.html, junit.xml and report.json that parse,
# finish within BOUND seconds, and say what the mode broke.
# usage: hostile.sh HOSTILE_SERVER TASKCONFORM SCENARIOS MODE [subset|full] [BOUND_S]
# Prints one line: "hostile MODE: exit N in S s, peak RSS K KiB: what it said".
set -uo pipefail
server=$1 taskconform=$2 scenarios=$3 mode=$4 scope=${5:-subset} bound=${6:-120}
work=$(mktemp -d)
"$server" "$mode" >"$work/serve.out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ -n $url ]] || { echo "hostile $mode: the server did not start" >&2; exit 1; }

files=()
if [[ $scope == subset ]]; then
  for s in TASK-CRUD-001 STREAM-PRE-001 AGENT-LISTEN-001 HTTP-AUTH-001; do files+=("$scenarios/$s.json"); done
fi
start=$(date +%s%N)
/usr/bin/time -f "%M" -o "$work/rss" timeout -s KILL $((bound + 60)) \
  "$taskconform" run --target "$url" --token hostile-token --report-dir "$work/report" "${files[@]}" >"$work/out" 2>&1
rc=$?
secs=$(( ($(date +%s%N) - start) / 1000000000 ))
rss=$(grep -E '^[0-9]+$' "$work/rss" | tail -1)

# What each mode must make the runner say (a verdict or an error naming what was seen).
case $mode in
  numeric-task-id) want='taskId: expected a string, saw the number 12345' ;;
  string-status-version) want='statusVersion: expected an integer, saw the string' ;;
  null-tasks) want='saw null' ;;
  data-string|data-number|data-array) want='^FAIL +SSE-002' ;;
  task-event-not-object) want='taskEvent: expected an object, saw the string' ;;
  invalid-utf8) want='not UTF-8|not JSON' ;;
  truncated-json) want='not JSON' ;;
  deep-json) want='--max-json-depth' ;;
  huge-line) want='--max-sse-line-bytes' ;;
  trickle) want='no answer to the stream request .no answer within' ;;
  half-answers) want='no answer within' ;;
  heartbeat-flood) want='--max-events-per-stream|--max-stream-bytes' ;;
  broken-http) want='not an HTTP/1.x status line' ;;
  endless-headers) want='--max-header-bytes' ;;
  broken-chunks) want='not a chunk size' ;;
  plain-text-errors) want='^FAIL +ERR-003' ;;
  *) echo "hostile: unknown mode $mode" >&2; exit 1 ;;
esac

fail() {
  echo "hostile $mode: $1" >&2
  tail -40 "$work/out" >&2
  exit 1
}
[[ $rc -eq 1 || $rc -eq 2 ]] || fail "exit $rc, expected 1 or 2"
[[ $secs -le $bound ]] || fail "took $secs s, more than $bound s"
for f in index.html junit.xml report.json; do [[ -s $work/report/$f ]] || fail "no $f written"; done
python3 - "$work/report" <<'PY' || fail "a report does not parse"
import json, sys, xml.dom.minidom
d = sys.argv[1]
json.load(open(d + "/report.json", encoding="utf-8"))
xml.dom.minidom.parse(d + "/junit.xml")
html = open(d + "/index.html", encoding="utf-8").read()
assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
PY
said=$(grep -E -m1 -- "$want" "$work/out") || fail "the output does not say /$want/"
if [[ $mode == plain-text-errors ]] && grep -qE '^ERROR ' "$work/out"; then
  fail "a plain-text error body made a scenario ERROR (it is ERR-003's finding)"
fi
echo "hostile $mode: exit $rc in $secs s, peak RSS ${rss:-?} KiB: $(echo "$said" | cut -c1-160)"
