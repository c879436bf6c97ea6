#!/usr/bin/env bash
# Makes sure what the tests talk to is there: Debian's Chromium for the browser tests and, when
# TEST_DATABASE_URL names a local PostgreSQL, a running server. Idempotent and quick when all is present.
set -euo pipefail

need_apt=()
if ! command -v chromium >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if [ -n "${TEST_DATABASE_URL:-}" ] && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test_services: installing ${need_apt[*]} from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "test_services: ${need_apt[*]} missing and cannot be installed here; those tests will be skipped" >&2
  fi
fi

if [ -n "${TEST_DATABASE_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
exit 0
