#!/usr/bin/env bash
# Starts the local services integration tests use, if they are down:
#   PostgreSQL on 127.0.0.1:5432 (server tests run against it as well as embedded PGlite).
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if command -v pg_isready >/dev/null 2>&1 && ! pg_up; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if command -v pg_isready >/dev/null 2>&1 && pg_up; then
  echo "PostgreSQL: up"
else
  echo "PostgreSQL is not available on 127.0.0.1:5432; the PostgreSQL test suites will fail" >&2
fi
