#!/usr/bin/env bash
# Makes sure Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432) answer for the tests, starting
# them if they are installed but stopped, and prints the PostgreSQL URL the tests should use.
set -euo pipefail

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services: starting redis-server" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$cluster" ]; then
    echo "services: PostgreSQL is not installed (run make setup)" >&2
    exit 1
  fi
  echo "services: starting PostgreSQL $cluster" >&2
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
fi

# Trust auth (CI): the postgres role works as is. Otherwise (a fresh Debian cluster with password
# auth on TCP) create a test role with a password once.
url="postgres://postgres@127.0.0.1:5432/postgres"
if ! psql "$url" -qAtc 'select 1' >/dev/null 2>&1; then
  su postgres -c "psql -qAtc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'monopco_test') THEN CREATE ROLE monopco_test SUPERUSER LOGIN PASSWORD 'monopco_test'; END IF; END \\\$\\\$\"" >&2
  url="postgres://monopco_test:monopco_test@127.0.0.1:5432/postgres"
fi
echo "$url"
