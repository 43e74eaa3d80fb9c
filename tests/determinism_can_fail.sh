#!/usr/bin/env bash
# The determinism checks can fail: against tasksim_canary, a build that mixes one
# uninitialised heap byte into every trace hash, each check must report that two
# processes gave different traces (not merely a golden mismatch).
# usage: determinism_can_fail.sh TASKSIM_CANARY SCENARIO_DIR
set -uo pipefail
canary=$1 dir=$2
here=$(dirname "$0")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0

bash "$here/determinism.sh" "$canary" "$dir" - >"$out" 2>&1
rc=$?
if [[ $rc -eq 0 ]] || ! grep -q "gave different traces in two processes" "$out"; then
  echo "FAIL: tests/determinism.sh passed (exit $rc) a build that reads an uninitialised heap byte:" >&2
  head -20 "$out" >&2
  status=1
else
  echo "PASS: tests/determinism.sh catches the uninitialised heap byte ($(grep -c '^[-+][A-Z]' "$out") differing lines)"
fi

bash "$here/../fuzz/tests/determinism.sh" "$canary" 20261124 20 >"$out" 2>&1
rc=$?
if [[ $rc -eq 0 ]] || ! grep -q "different workloads or traces in two runs" "$out"; then
  echo "FAIL: fuzz/tests/determinism.sh passed (exit $rc) a build that reads an uninitialised heap byte:" >&2
  head -20 "$out" >&2
  status=1
else
  echo "PASS: fuzz/tests/determinism.sh catches the uninitialised heap byte"
fi
exit $status
