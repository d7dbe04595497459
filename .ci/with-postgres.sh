#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL 15 cluster, when its server binaries are here.
# The cluster lives in a temporary folder, listens on a free loopback port, and is stopped
# and deleted when the command ends (whatever its outcome). Its URL is given to the
# command as PNE_TEST_POSTGRES_URL. Without the binaries the command runs alone and the
# PostgreSQL leg of the tests is skipped with a visible reason.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$name"; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  return 1
}

if [ -n "${PNE_TEST_POSTGRES_URL:-}" ]; then
  exec "$@"
fi

if ! INITDB=$(find_bin initdb) || ! PG_CTL=$(find_bin pg_ctl); then
  echo "*** PostgreSQL server binaries (initdb, pg_ctl) not found: the PostgreSQL leg of the tests will be SKIPPED ***" >&2
  exec "$@"
fi

workdir=$(mktemp -d /tmp/pne-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = "0" ]; then
  # The server refuses to run as root: hand the folder to the postgres system user.
  chown postgres: "$workdir"
  as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${as_pg[@]}" "$PG_CTL" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

"${as_pg[@]}" "$INITDB" -D "$workdir/data" -U postgres -A trust -E UTF8 --no-locale >"$workdir/initdb.log" 2>&1 \
  || { cat "$workdir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PG_CTL" -D "$workdir/data" -l "$workdir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $workdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$workdir/server.log" >&2; exit 1; }

echo "PostgreSQL $("$PG_CTL" --version | awk '{print $3}') test cluster on 127.0.0.1:$port" >&2
export PNE_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
set +e
"$@"
status=$?
set -e
exit $status
