#!/usr/bin/env bash
# pg-instance.sh — a throwaway PostgreSQL server for the tests, owned by the test that starts it:
# the county store's contract suite (tests/unit/test_county_store.cpp, through
# tests/support/postgres.cpp) and the county's integration tests (tests/integration/).
#
#   pg-instance.sh start DIR [PORT]   initdb DIR/data on first use, start, wait until it answers;
#                                     prints the libpq conninfo (also written to DIR/conninfo)
#   pg-instance.sh stop DIR           fast stop (connections cut, clean shutdown); DIR stays
#   pg-instance.sh restart DIR        stop + start: what a client sees when its server restarts
#
# The server listens on a unix socket in DIR only (listen_addresses = ''), never on a TCP port:
# parallel tests and the helpers' builds on one machine cannot clash, and PORT (default 5432)
# only names the socket (DIR/.s.PGSQL.PORT). Trust authentication: only who can reach DIR can
# connect. Durability is off (fsync, synchronous_commit): the instance lives for one test run,
# and a clean stop still writes everything.
#
# PostgreSQL refuses to run as root. Run by root (CI, containers), the server runs as the user
# `postgres` (the postgresql package makes it) through runuser; DIR is given to that user and
# the folders above it are made traversable (o+x) where they are not. Run by anyone else, the
# server runs as that user.
#
# Exit 77 when PostgreSQL's server programs are not installed (apt install postgresql): the
# callers skip on a developer's machine and fail in CI (CI=true). Environment: PG_BIN, the
# folder of initdb and pg_ctl (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

die() { printf 'pg-instance: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '5,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
verb=$1
dir=$2
port=${3:-5432}
case "$verb" in start | stop | restart) ;; *) usage ;; esac
[[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$port'"

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "pg-instance: PostgreSQL's server programs (initdb, pg_ctl) are not installed" \
        "(apt install postgresql, or PG_BIN=FOLDER)" >&2
    exit 77
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data
socket=$dir/.s.PGSQL.$port
# A unix socket path is at most 107 bytes (sun_path); PostgreSQL says so only in its log.
[ "${#socket}" -le 100 ] || die "the socket path $socket is too long for a unix socket; use a shorter DIR"

# as_server CMD...: run CMD as the user the server runs as.
if [ "$(id -u)" = 0 ]; then
    getent passwd postgres >/dev/null ||
        die "running as root needs the user 'postgres' to run the server (apt install postgresql makes it)"
    as_server() { runuser -u postgres -- "$@"; }
    chown postgres: "$dir"
    # Every folder above DIR must let `postgres` through to reach its data and socket.
    up=$(dirname "$dir")
    while [ "$up" != / ]; do
        runuser -u postgres -- test -x "$up" || chmod o+x "$up"
        up=$(dirname "$up")
    done
else
    as_server() { "$@"; }
fi

start() {
    if [ ! -f "$data/PG_VERSION" ]; then
        as_server "$bin/initdb" -D "$data" -U sealwatch --auth=trust -E UTF8 --locale=C \
            --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
            die "initdb failed; see $dir/initdb.log"
        cat >>"$data/postgresql.conf" <<EOF
# pg-instance.sh: a throwaway test server on a unix socket only
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 16MB
EOF
    fi
    as_server "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 -s start ||
        die "the server did not start; see $dir/server.log"
    local conninfo="host=$dir port=$port user=sealwatch dbname=postgres"
    printf '%s\n' "$conninfo" >"$dir/conninfo"
    printf '%s\n' "$conninfo"
}

stop() {
    [ -f "$data/postmaster.pid" ] || return 0
    as_server "$bin/pg_ctl" -D "$data" -m fast -w -t 30 -s stop ||
        die "the server did not stop; see $dir/server.log"
}

case "$verb" in
    start) start ;;
    stop) stop ;;
    restart) stop && start >/dev/null ;;
esac
