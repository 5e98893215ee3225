#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL server for tests and benchmarks: initdb into DIR, listen
# on 127.0.0.1 only (and a unix socket inside DIR), trust authentication, superuser "postgres".
#
#   postgres.sh start DIR [PORT] [OWNER_PID]
#       prints the URL: postgresql://postgres@127.0.0.1:<port>/postgres
#   postgres.sh stop DIR [MODE]
#       stops it — safe to call twice. MODE: immediate (default: the data is thrown away anyway)
#       or fast (a clean shutdown that keeps everything committed, for a restart: `start DIR PORT`
#       again starts the same data directory; it must be given the same PORT, or it may pick
#       another one)
#
# DIR must exist and be empty or hold a server this script made. PORT is a hint (a port the
# caller found free by binding port 0); when it is taken or absent, random ports are tried. With
# OWNER_PID, a watchdog stops the server once that process is gone, so a crashed test does not
# leave a server behind. PostgreSQL refuses to run as root: as root, initdb and the server run as
# the "postgres" OS user (created by Debian's postgresql package), or "nobody" without it, and DIR
# is handed to that user. Extra server settings: CONCORD_PG_OPTS (e.g. "-c fsync=on").
#
# Durability is off (fsync, full_page_writes): the data is thrown away, and tests run faster.
# wal_level=logical is on so tests of logical decoding can use the same server.
set -euo pipefail

die() {
  echo "postgres.sh: $*" >&2
  exit 1
}

find_bindir() {
  local best
  # The highest installed version (sorted numerically: 9.6 < 15 < 16).
  best=$(for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
  done | sort -t/ -k5 -n | tail -1)
  [ -n "$best" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found in \
/usr/lib/postgresql/<version>/bin: run \`make deps\` (installs the postgresql package)"
  echo "$best"
}

# Runs a command as the server's OS user (as ourselves unless we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

pick_owner() {
  OWNER="$(id -un)"
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then OWNER=postgres; else OWNER=nobody; fi
  fi
}

cmd_start() {
  local dir="${1:?usage: postgres.sh start DIR [PORT] [OWNER_PID]}"
  local port="${2:-}"
  local owner_pid="${3:-}"
  [ -d "$dir" ] || die "directory $dir does not exist"
  dir="$(cd "$dir" && pwd)"
  local bin
  bin="$(find_bindir)"
  pick_owner
  if [ "$(id -u)" -eq 0 ]; then
    chown "$OWNER" "$dir"
    # The server user must be able to reach DIR: every parent needs search permission.
    if ! runuser -u "$OWNER" -- test -x "$dir"; then
      die "user $OWNER cannot enter $dir (a parent directory is not searchable); use a \
directory under /tmp"
    fi
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    die "a server is already running in $dir (postgres.sh stop $dir stops it)"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
      --no-sync >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$dir/initdb.log")"
  fi
  local attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    if [ -z "$port" ]; then port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000)); fi
    local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
    opts+=" -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    opts+=" -c max_connections=100 -c shared_buffers=64MB"
    opts+=" -c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10"
    opts+=" ${CONCORD_PG_OPTS:-}"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 60 start \
      >"$dir/pg_ctl.log" 2>&1; then
      echo "$port" >"$dir/port"
      if [ -n "$owner_pid" ]; then
        # In its own session (it outlives our process group) and with its output closed (a
        # caller reading our stdout is not held open).
        local self
        self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
        setsid "$self" watch "$dir" "$owner_pid" </dev/null >/dev/null 2>&1 &
      fi
      echo "postgresql://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
    if ! grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets" \
      "$dir/server.log" 2>/dev/null; then
      die "server did not start: $(tail -5 "$dir/server.log" 2>/dev/null || cat "$dir/pg_ctl.log")"
    fi
    port=""  # taken: try a random one
  done
  die "no free port found after $attempt attempts"
}

# Stops the server in DIR once OWNER_PID has exited (or the server is gone).
cmd_watch() {
  local dir="$1" owner_pid="$2"
  while kill -0 "$owner_pid" 2>/dev/null && [ -f "$dir/data/postmaster.pid" ]; do sleep 1; done
  # Stopped while its owner lives (a test restarting it): a restart brings its own watchdog, and
  # this one must not stop the restarted server.
  kill -0 "$owner_pid" 2>/dev/null && return 0
  cmd_stop "$dir"
}

cmd_stop() {
  local dir="${1:?usage: postgres.sh stop DIR [immediate|fast]}"
  local mode="${2:-immediate}"
  case "$mode" in immediate | fast) ;; *) die "stop mode must be immediate or fast, not $mode" ;; esac
  [ -f "$dir/data/postmaster.pid" ] || return 0
  local bin
  bin="$(find_bindir)"
  pick_owner
  as_owner "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  watch) shift; cmd_watch "$@" ;;
  *) die "usage: postgres.sh start DIR [PORT] [OWNER_PID] | stop DIR [immediate|fast]" ;;
esac
