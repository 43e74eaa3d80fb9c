#!/usr/bin/env bash
# --record against a target: the cassette holds no token (not even one the server
# echoes), and it replays to the verdicts given live.
set -uo pipefail
tasksim=$1 taskconform=$2 scenarios=$3
work=$(mktemp -d)
secret="s3cret-$$-token"
"$tasksim" serve --token "$secret" --clock virtual --port 0 >"$work/serve.txt" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/serve.txt" && break; sleep 0.05; done
url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/serve.txt" | head -1)
[ -n "$url" ] || { echo "FAIL: the server did not start" >&2; exit 1; }
"$taskconform" run --target "$url" --token "$secret" --max-rps 1000 --report-dir "$work/report" \
  --record "$work/cassettes" "$scenarios/STREAM-RL-001.json" "$scenarios/HTTP-AUTH-001.json" >"$work/run.txt" 2>&1
ls "$work"/cassettes/*.cassette.json >/dev/null 2>&1 || { cat "$work/run.txt"; echo "FAIL: no cassette written" >&2; exit 1; }
if grep -rq "$secret" "$work/cassettes"; then
  echo "FAIL: the token is in a cassette" >&2
  exit 1
fi
"$tasksim" replay --verify "$work"/cassettes/*.cassette.json || { echo "FAIL: replay differs from the live verdicts" >&2; exit 1; }
echo "PASS: cassettes recorded against $url hold no token and replay to the live verdicts"
