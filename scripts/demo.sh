#!/usr/bin/env bash
# The demo: the embedded default (one process, SQLite files under ./data, no server to install)
# with the API and the workers, and a local sandbox of an OPCO's portal (Atlas unless
# `DEMO_OPCO=<slug>` names another, e.g. `DEMO_OPCO=akto make demo`). Jobs are submitted over
# HTTP and followed to their end, ending with a funding request prefilled on the sandbox portal and
# waiting for review. The service keeps running afterwards; Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=./target/debug/monopco
addr=${DEMO_ADDR:-127.0.0.1:8080}
token=demo-token-0123456789abcdef
opco=${DEMO_OPCO:-atlas}
mkdir -p data

echo "demo: starting a sandbox of the $opco portal (a local copy of its flow; no real portal is reached)"
coproc SANDBOX { exec ./target/debug/portal-sandbox --opco "$opco" --addr 127.0.0.1:0 --state-dir "data/sandbox-$opco" 2> data/sandbox.log; }
sandbox_pid=$SANDBOX_PID
read -r sandbox_url <&"${SANDBOX[0]}" || true
if [[ -z "${sandbox_url:-}" ]]; then
  cat data/sandbox.log >&2
  echo "demo: the sandbox of « $opco » did not start (DEMO_OPCO names a portal by its slug, see above)" >&2
  exit 2
fi
echo "demo:   $sandbox_url (account demo@entreprise.fr)"

review_password=demo-relecture-2026
review_hash=$(printf '%s\n' "$review_password" | "$bin" hash-password)

cat > data/demo.toml <<TOML
data_dir = "./data"
[server]
addr = "$addr"
[[api.tokens]]
name = "demo"
token = "$token"
scopes = ["jobs:write", "jobs:read", "ops:read", "accounts:write"]

[portals.$opco]
base_url = "$sandbox_url"

# Staff who review filings on http://$addr/review (argon2 hash from \`monopco hash-password\`).
[[review.staff]]
login = "demo"
name = "Équipe démo"
password_hash = "$review_hash"
TOML

echo "demo: starting monopco serve on http://$addr (embedded default: ./data/state.db, ./data/queue.db)"
"$bin" serve --config data/demo.toml 2> data/demo.log &
pid=$!
trap 'kill -TERM $pid $sandbox_pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

api() { curl -sS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

echo "demo: waiting until ready (store, queue and workers)"
for _ in $(seq 50); do api -f "http://$addr/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
api "http://$addr/readyz" | jq -c .

wait_job() {
  local id=$1 state
  for _ in $(seq 240); do
    state=$(api "http://$addr/v1/jobs/$id" | jq -r .state)
    case "$state" in succeeded|failed|cancelled|needs_human) break ;; esac
    sleep 0.5
  done
  echo "demo:   job $id: $state"
}

echo "demo: 1. a probe job (a diagnostic job that works for 1 s), followed to its end"
job=$(api -X POST "http://$addr/v1/jobs" -H 'Idempotency-Key: demo-probe-1' -d '{"kind":"probe","input":{"sleep_ms":1000}}')
id=$(jq -r .id <<<"$job")
wait_job "$id"
api "http://$addr/v1/jobs/$id" | jq -c '{state, attempts, history: [.history[].to]}'

echo "demo: 2. an identity check of a rendered photo of the French ID card specimen (data/specimen.jpg)"
./target/debug/examples/specimen data/specimen.jpg >/dev/null
jq -n --rawfile img <(base64 -w0 data/specimen.jpg) \
  '{kind: "check_identity_document", input: {document: {base64: $img},
    expected_name: {surname: "Martin", given_names: "Maëlys Gaëlle Marie"}, valid_until: "2027-06-30"}}' > data/check.json
job=$(api -X POST "http://$addr/v1/jobs" -H 'Idempotency-Key: demo-check-1' -d @data/check.json)
id=$(jq -r .id <<<"$job")
wait_job "$id"
api "http://$addr/v1/jobs/$id" | jq '.result | {verdict, reasons, message, document, expiry, elapsed_ms}'

echo "demo: 3. the documents of a bilan de compétences (devis, programme, convention, certificat, DPC pack)"
jq -n --slurpfile action documents/tests/fixtures/action.json \
  '{kind: "render_documents", input: {action: $action[0]}}' > data/render.json
job=$(api -X POST "http://$addr/v1/jobs" -H 'Idempotency-Key: demo-render-1' -d @data/render.json)
id=$(jq -r .id <<<"$job")
wait_job "$id"
api "http://$addr/v1/jobs/$id" | jq -r '.result.files[], .result.pack.file | "demo:   \(.name) \(.bytes) bytes  http://'"$addr"'\(.url)"'
files=$(pwd)/data/jobs/$id/files
echo "demo:   files are in $files"

echo "demo: 4. a funding request prefilled on the $opco sandbox with those documents, stopped before submit"
echo "demo:   the client's login (the sandbox's demo account) goes into the encrypted vault, write-only:"
status=$(api -o /dev/null -w '%{http_code}' -X PUT "http://$addr/v1/portal-accounts/$opco/ADH-448812" \
  -d '{"username": "demo@entreprise.fr", "password": "demo-mot-de-passe"}')
echo "demo:   PUT /v1/portal-accounts/$opco/ADH-448812 -> $status"
api "http://$addr/v1/portal-accounts" | jq -c .
render_id=$id
jq -n --arg render "$render_id" --arg opco "$opco" '{kind: "prefill_filing", input: {opco: $opco, filing: {
    company: {siret: "73282932000074", opco_account: "ADH-448812"},
    trainee: {last_name: "Martin-Hébert", first_names: "Zoé", birth_date: "1988-05-17",
              job_title: "Responsable de production", contract: "cdi"},
    action: {title: "Bilan de compétences", start: "2027-01-11", end: "2027-03-01", hours: 24,
             modality: "mixte", cost_ht: 180000},
    subrogation: true,
    provider: {name: "Cap Avenir Conseil", siret: "88312045600016", nda: "84691234569", qualiopi: true},
    attachments: {quote: {from_job: $render, file: "devis.pdf"},
                  programme: {from_job: $render, file: "programme.pdf"},
                  agreement: {from_job: $render, file: "convention.pdf"}}}}}' > data/prefill.json
job=$(api -X POST "http://$addr/v1/jobs" -H 'Idempotency-Key: demo-prefill-1' -d @data/prefill.json)
id=$(jq -r .id <<<"$job")
wait_job "$id"
api "http://$addr/v1/jobs/$id" | jq '{state, error, draft_url: .result.draft_url, warnings: .result.warnings,
  screenshots: .result.final_screenshots}'
echo "demo:   the filing waits for a person (state needs_human, code ready_for_review); nothing was submitted:"
curl -sS "$sandbox_url/__sandbox/dossiers" | jq -c '{dossiers_filed: length}'

echo "demo:   ready for review on the staff page: http://$addr/review (login: demo, password: $review_password)"
echo "demo:   there, « Confirmer le dépôt » submits it on the sandbox and records its dossier number."
echo
echo "demo: the service keeps running on http://$addr (token: $token); logs in data/demo.log."
echo "demo: try: curl -H 'Authorization: Bearer $token' http://$addr/v1/jobs | jq"
echo "demo: Ctrl-C to stop."
wait $pid
