#!/usr/bin/env bash
# Verdict levels, end to end: one scenario run alone passes (the rules it does not
# exercise are "not run", never inconclusive); a passing cassette replays to exit 0;
# an expectation below MUST that does not hold is a finding, never a failure: SHOULD
# fails only --strict, MAY never; a MUST one fails the run.
# usage: levels.sh TASKSIM TASKCONFORM SCENARIOS FIXTURES
set -uo pipefail
tasksim=$1 taskconform=$2 scenarios=$3 fixtures=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect_exit() {  # what expected-status command...
  local what=$1 want=$2
  shift 2
  "$@" >"$work/out" 2>&1
  local got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL: $what: exit $got, expected $want" >&2
    tail -20 "$work/out" >&2
    fail=1
  fi
}
expect_exit "one scenario run alone" 0 "$taskconform" run "$scenarios/STREAM-HB-001.json" --report-dir "$work/r1"
grep -q "NOT RUN .*left out (only the named scenarios ran)" "$work/out" || { echo "FAIL: no rule reported not run" >&2; fail=1; }
grep -q "<skipped message=\"not run: " "$work/r1/junit.xml" || { echo "FAIL: junit.xml has no skipped rule" >&2; fail=1; }
expect_exit "replay of a passing cassette" 0 "$tasksim" replay "$fixtures/cassettes/correct/STREAM-RL-001.cassette.json"

scenario() {  # level-line -> a scenario whose create expects 418 at that level
  cat >"$work/levels.json" <<JSON
{"format": 1, "name": "LEVELS-TEST", "title": "an expectation the server cannot meet", "rules": ["ERR-001"],
 "clients": {"op": {"token": "tok-op"}},
 "steps": [{"at_ms": 0, "client": "op", "do": "create_task", "body": {"taskId": "levels-a"},
            "expect": {"status": 418 $1}}]}
JSON
}
scenario ', "levels": {"status": "MAY a test of the MAY level"}'
expect_exit "a MAY expectation that fails" 0 "$taskconform" run "$work/levels.json" --report-dir "$work/r2"
expect_exit "a MAY expectation that fails, --strict" 0 "$taskconform" run "$work/levels.json" --strict --report-dir "$work/r2"
grep -q "MAY (a test of the MAY level): " "$work/out" || { echo "FAIL: the MAY finding is not printed" >&2; fail=1; }
scenario ', "levels": {"status": "SHOULD a test of the SHOULD level"}'
expect_exit "a SHOULD expectation that fails" 0 "$taskconform" run "$work/levels.json" --report-dir "$work/r3"
expect_exit "a SHOULD expectation that fails, --strict" 1 "$taskconform" run "$work/levels.json" --strict --report-dir "$work/r3"
grep -q 'type="SHOULD"' "$work/r3/junit.xml" || { echo "FAIL: junit.xml has no SHOULD failure" >&2; fail=1; }
scenario ''
expect_exit "a MUST expectation that fails" 1 "$taskconform" run "$work/levels.json" --report-dir "$work/r4"
scenario ', "levels": {"status": "OFTEN no such level"}'
expect_exit "a level that is not SHOULD or MAY" 2 "$taskconform" run "$work/levels.json" --report-dir "$work/r5"
grep -q 'levels.status: must start with SHOULD or MAY' "$work/out" || { echo "FAIL: the bad level is not named" >&2; fail=1; }
[[ $fail -eq 0 ]] && echo "levels: alone, replay, MAY, SHOULD (--strict), MUST and a bad level all as specified"
exit $fail
