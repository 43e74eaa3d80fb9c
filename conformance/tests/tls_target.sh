#!/usr/bin/env bash
# HTTPS: taskconform against tasksim serve with the test TLS pair, verifying the
# server's certificate with --ca-cert, and sending an extra --header.
# usage: tls_target.sh TASKSIM TASKCONFORM FIXTURES SCENARIOS
set -euo pipefail
tasksim=$1 taskconform=$2 fixtures=$3 scenarios=$4
work=$(mktemp -d)
"$tasksim" serve --port 0 --token tls-secret --clock virtual \
  --tls-cert "$fixtures/tls/test-cert.pem" --tls-key "$fixtures/tls/test-key.pem" >"$work/serve.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q listening "$work/serve.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[[ $url == https://* ]] || { echo "tls: the server did not start on https" >&2; cat "$work/serve.out" >&2; exit 1; }
echo tls-secret >"$work/token"
"$taskconform" run --target "$url" --token-file "$work/token" --ca-cert "$fixtures/tls/test-cert.pem" \
  --header "X-Test-Run: tls" --report-dir "$work/report" \
  "$scenarios/STREAM-RL-001.json" "$scenarios/STREAM-PRE-001.json" >"$work/out.txt" 2>&1 || true
cat "$work/out.txt"
grep -q "scenarios: 2 passed, 0 failed" "$work/out.txt" || { echo "tls: the scenarios did not pass over HTTPS" >&2; exit 1; }
if grep -rq tls-secret "$work/report" "$work/out.txt"; then echo "tls: the token leaked into the output" >&2; exit 1; fi
echo "tls: passed over HTTPS with the certificate verified; the token appears nowhere"
