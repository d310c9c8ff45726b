#!/usr/bin/env bash
# The demo: the embedded default (one process, SQLite files under ./data, no server to install)
# with the API and the workers, one job submitted over HTTP and followed to its end. The service
# keeps running afterwards so you can call it; Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=./target/debug/monopco
addr=${MONOPCO_DEMO_ADDR:-127.0.0.1:8080}
token=demo-token-0123456789abcdef
mkdir -p data
cat > data/demo.toml <<TOML
data_dir = "./data"
[server]
addr = "$addr"
[[api.tokens]]
name = "demo"
token = "$token"
scopes = ["jobs:write", "jobs:read", "ops:read"]
TOML

echo "demo: starting monopco serve on http://$addr (embedded default: ./data/state.db, ./data/queue.db)"
"$bin" serve --config data/demo.toml 2> data/demo.log &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

api() { curl -sS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

echo "demo: readiness"
api "http://$addr/readyz" | jq -c .

echo "demo: submitting a probe job (a diagnostic job that works for 1.5 s)"
job=$(api -X POST "http://$addr/v1/jobs" -H 'Idempotency-Key: demo-probe-1' \
  -d '{"kind":"probe","input":{"sleep_ms":1500}}')
id=$(jq -r .id <<<"$job")
echo "demo: job $id accepted, state $(jq -r .state <<<"$job")"
for _ in $(seq 100); do
  state=$(api "http://$addr/v1/jobs/$id" | jq -r .state)
  echo "demo:   state: $state"
  case "$state" in succeeded|failed|cancelled|needs_human) break ;; esac
  sleep 0.5
done
api "http://$addr/v1/jobs/$id" | jq '{id, kind, state, attempts, result, history: [.history[] | {to, at}]}'

echo
echo "demo: the service keeps running on http://$addr (token: $token); logs in data/demo.log."
echo "demo: try: curl -H 'Authorization: Bearer $token' http://$addr/v1/jobs | jq"
echo "demo: Ctrl-C to stop."
wait $pid
