#!/usr/bin/env bash
# The recorded cassettes in fixtures/cassettes replay offline to exactly the verdicts
# given live (--verify), and the rules that fail in each mutant's recording are the
# ones written below by hand from what each mutant breaks.
set -uo pipefail
tasksim=$1 fixtures=$2
fail=0
if ! "$tasksim" replay --verify "$fixtures"/cassettes/*/*.cassette.json >/tmp/replay.$$ 2>&1; then
  cat /tmp/replay.$$
  echo "FAIL: a replay gave other verdicts than the recording" >&2
  fail=1
fi
rm -f /tmp/replay.$$
expect() {  # folder scenario "RULE RULE..." (the rules that must FAIL; "" for none)
  local got
  got=$("$tasksim" replay "$fixtures/cassettes/$1/$2.cassette.json" 2>&1 |
        awk '$1 ~ /^[A-Z]+-[A-Z0-9-]+$/ && $2 ~ /^\((MUST|SHOULD|MAY)\)$/ {print $1}' | sort -u | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" != "$3" ]; then
    echo "FAIL: $1/$2 replays with failing rules [$got], expected [$3]" >&2
    fail=1
  fi
}
expect correct STREAM-RL-001 ""
expect correct STREAM-HB-002 ""
expect correct STREAM-FLT-STATUS-001 ""
expect correct AGENT-CANCEL-001 ""
expect coalesce-keeps-oldest STREAM-RL-001 "STREAM-RL-002"
# Under traffic the late heartbeats break only our decision (due every interval from the
# start whatever else is sent); no silence is longer than the interval.
expect heartbeats-late STREAM-HB-002 "STREAM-HB-003"
expect cancel-not-sent-to-agent AGENT-LISTEN-002 "AGENT-003"
# Swapped filters let excluded tasks through and keep included ones out (with no
# filterType, inclusive is our decision: STREAM-FLT-004).
expect status-filter-swapped STREAM-FLT-STATUS-001 "STREAM-FLT-001 STREAM-FLT-002 STREAM-FLT-004 STREAM-PRE-003 STREAM-RL-002"
# A cassette of another format is refused with a clear message and exit 2.
tmp=$(mktemp)
sed 's/"cassette": 1/"cassette": 2/' "$fixtures/cassettes/correct/STREAM-RL-001.cassette.json" >"$tmp"
"$tasksim" replay "$tmp" >/dev/null 2>"$tmp.err"
status=$?
if [ "$status" != 2 ] || ! grep -q 'format 2 is not the format this build reads' "$tmp.err"; then
  echo "FAIL: a format-2 cassette gave exit $status: $(cat "$tmp.err")" >&2
  fail=1
fi
rm -f "$tmp" "$tmp.err"
# --shrink: the late-heartbeat recording fails STREAM-HB-003 on one stream with one
# event before its first heartbeat, so two steps (that stream's open and the create)
# are all that must stay; the result is a valid scenario (the correct model passes it).
shrunk=$(mktemp --suffix=.json)
"$tasksim" replay "$fixtures/cassettes/heartbeats-late/STREAM-HB-002.cassette.json" --shrink --out "$shrunk" >/dev/null
steps=$(grep -c '"at_ms"' "$shrunk")
if [ "$steps" != 2 ] || ! "$tasksim" run "$shrunk" >/dev/null; then
  echo "FAIL: --shrink wrote $steps steps, or a scenario the simulator cannot play: $(cat "$shrunk")" >&2
  fail=1
fi
rm -f "$shrunk"
[ "$fail" = 0 ] && echo "PASS: every cassette replays to its recorded verdicts"
exit "$fail"
