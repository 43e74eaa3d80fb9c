#!/usr/bin/env bash
# Opens the HTML report of a canned run in headless Chromium and checks the DOM the
# browser built: one row per rule, one timeline per stream, the violation marked.
# usage: html_dom_test.sh REPORT_FIXTURE
set -euo pipefail
fixture=$1
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "html: chromium is not installed (scripts/deps.sh installs it)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fixture" "$work/out"
rules=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rules"]))' "$work/out/report.json")
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$work/profile" \
  --dump-dom "file://$work/out/index.html" >"$work/dom.html" 2>"$work/err" || {
  cat "$work/err" >&2
  exit 1
}
count() { grep -o "$1" "$work/dom.html" | wc -l; }
fail=0
check() {  # what expected actual
  if [[ $2 != "$3" ]]; then
    echo "html: expected $2 $1, the browser's DOM has $3" >&2
    fail=1
  fi
}
check "rule rows" "$rules" "$(count '<tr class="rule"')"
check "stream timelines" 2 "$(count '<svg class="timeline"')"
check "FAIL rows for STREAM-RL-001" 1 "$(count 'data-rule="STREAM-RL-001" data-verdict="FAIL"')"
check "violation marks" 1 "$(count 'class="violation"')"
check "rate-limit windows" 2 "$(count 'class="window"')"
[[ $fail -eq 0 ]] && echo "html: $rules rule rows, 2 timelines, the violation marked, as the browser parsed it"
exit $fail
