#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if needed and starts a throw-away cluster on
# loopback for the store's tests. Prints the connection URL to use as VECTORFAB_TEST_POSTGRES_URL.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=${VECTORFAB_PG_DIR:-/tmp/vectorfab-pg}
port=${VECTORFAB_PG_PORT:-55432}
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  run "$bin/initdb -D $dir -U vectorfab --auth=trust -E UTF8 >/dev/null"
fi
if ! run "$bin/pg_ctl -D $dir status" >/dev/null 2>&1; then
  run "$bin/pg_ctl -D $dir -l $dir/server.log -o \"-p $port -c listen_addresses=127.0.0.1 -c max_connections=300 -k /tmp\" -w start" >&2
fi
echo "postgres://vectorfab@127.0.0.1:$port/postgres"
