#!/usr/bin/env bash
# The whole suite against every hostile mode with default options: each run within
# 240 s, exit 1 or 2, reports written; and against the 64 MiB-line server the runner's
# peak RSS under 256 MiB. Prints one line a mode (tests/hostile.sh).
# usage: hostile_bench.sh HOSTILE_SERVER TASKCONFORM SCENARIOS
set -uo pipefail
server=$1 taskconform=$2 scenarios=$3
here=$(dirname "$0")
status=0
for mode in $("$server" --list | cut -f1); do
  line=$(bash "$here/hostile.sh" "$server" "$taskconform" "$scenarios" "$mode" full 240 2>&1 | tail -1)
  echo "$line"
  [[ $line == "hostile $mode: exit "* ]] || status=1
  if [[ $mode == huge-line ]]; then
    rss=$(echo "$line" | sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p')
    if [[ -z $rss || $rss -ge $((256 * 1024)) ]]; then
      echo "FAIL: peak RSS ${rss:-?} KiB against the 64 MiB-line server (target < 262144 KiB)" >&2
      status=1
    fi
  fi
done
exit $status
