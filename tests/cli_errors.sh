#!/usr/bin/env bash
# The CLI's contract for bad input: exit status 2 and a message that says what was
# wrong and where. usage: cli_errors.sh TASKSIM
set -uo pipefail
tasksim=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

expect() {  # expected_status expected_stderr_fragment args...
  local want=$1 fragment=$2
  shift 2
  "$tasksim" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [[ $got -ne $want ]] || ! grep -qF -- "$fragment" "$work/err"; then
    echo "FAIL: tasksim $* -> status $got (want $want), stderr:" >&2
    cat "$work/err" >&2
    fails=$((fails + 1))
  fi
}

printf '{"format":1,"name":"N","title":"T","rules":["R"],"steps":[{"at_ms":-5,"do":"advance"}]}' >"$work/neg.json"
printf '{"format":1,' >"$work/trunc.json"
printf '{"format":1,"name":"N","title":"T","rules":["R"],"steps":[{"at_ms":0,"do":"advance"}],"extra":true}' >"$work/extra.json"
printf '{"format":1,"name":"N","title":"T","rules":["R"],"steps":[{"at_ms":0,"do":"advance"}]}' >"$work/valid.json"

expect 2 "no command given"
expect 2 "unknown command \"frobnicate\"" frobnicate
expect 2 "run needs at least one scenario file" run
expect 2 "unknown option --fast" run --fast "$work/neg.json"
expect 2 "--seed takes a non-negative integer" run --seed abc "$work/neg.json"
expect 2 "$work/missing.json: cannot be read" run "$work/missing.json"
expect 2 "$work/neg.json: \$.steps[0].at_ms: must not be negative" run "$work/neg.json"
expect 2 "$work/trunc.json: \$: not valid JSON at byte" run "$work/trunc.json"
expect 2 "$work/extra.json: \$.extra: unknown field" run "$work/extra.json"
expect 2 "cannot write the trace to /nonexistent-dir/t.jsonl" run --trace /nonexistent-dir/t.jsonl "$work/valid.json"
expect 2 "unknown workload" bench --workload year-1m
expect 2 "--hours takes an integer" bench --hours 0

[[ $fails -eq 0 ]] && echo "cli: every bad input exits 2 with its reason"
exit $((fails > 0))
