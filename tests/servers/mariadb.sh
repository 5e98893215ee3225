#!/usr/bin/env bash
# A throwaway MariaDB server for scripts (examples, shell-driven end-to-end runs); C++ tests use
# mariadb_server.h, which does the same and also stops the server when the test dies.
#
#   tests/servers/mariadb.sh start DIR [PORT]   initialise DIR/data once, start mariadbd on
#                                               127.0.0.1:PORT (a free port when omitted) and
#                                               DIR/mysqld.sock, wait until it accepts
#                                               connections, print "port=<p> socket=<path>"
#   tests/servers/mariadb.sh stop DIR           stop it (SIGTERM, then SIGKILL after 60 s)
#
# root has no password (connect as root over the socket, or create users). The server's files
# and logs stay in DIR (error.log); remove DIR when done. `make deps` installs mariadb-server.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 2
}

find_bin() {
  for name in "$@"; do
    for d in ${PATH//:/ } /usr/sbin /usr/bin /usr/libexec; do
      if [ -x "$d/$name" ]; then
        echo "$d/$name"
        return 0
      fi
    done
  done
  return 1
}

free_port() {
  for _ in $(seq 1 50); do
    local p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
pidfile="$dir/mariadbd.pid"
sock="$dir/mysqld.sock"

case "$cmd" in
  start)
    mariadbd=$(find_bin mariadbd mysqld) || {
      echo "mariadb.sh: mariadbd not found; \`make deps\` installs it (mariadb-server)" >&2
      exit 1
    }
    install=$(find_bin mariadb-install-db mysql_install_db) || {
      echo "mariadb.sh: mariadb-install-db not found; \`make deps\` installs it" >&2
      exit 1
    }
    user_args=()
    if [ "$(id -u)" -eq 0 ]; then user_args=(--user=root); fi
    # The server's own tmpdir, not /tmp: a starting mariadbd (also the bootstrap one that
    # install-db runs, which gets --tmpdir) deletes every "#sql*" file in its tmpdir, which in a
    # shared /tmp are another server's internal temporary tables.
    mkdir -p "$dir/tmp"
    if [ ! -d "$dir/data/mysql" ]; then
      "$install" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" \
        --auth-root-authentication-method=normal --skip-test-db "${user_args[@]}" \
        >"$dir/install.log" 2>&1 || {
        echo "mariadb.sh: $install failed; see $dir/install.log" >&2
        exit 1
      }
    fi
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "port=$(cat "$dir/port") socket=$sock"  # already running
      exit 0
    fi
    rm -f "$sock"
    port=${3:-$(free_port)}
    nohup "$mariadbd" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$sock" \
      --port="$port" --bind-address=127.0.0.1 --pid-file="$pidfile" --log-error="$dir/error.log" \
      --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --innodb-buffer-pool-size=64M --innodb-use-native-aio=0 --log-bin="$dir/binlog" \
      --server-id=1 --log-bin-trust-function-creators=1 "${user_args[@]}" \
      >>"$dir/mariadbd.out" 2>&1 &
    server=$!
    for _ in $(seq 1 1200); do
      if ! kill -0 "$server" 2>/dev/null; then
        echo "mariadb.sh: mariadbd exited during start-up; see $dir/error.log" >&2
        tail -20 "$dir/error.log" >&2 || true
        exit 1
      fi
      if [ -S "$sock" ] && mariadb-admin --no-defaults --socket="$sock" -uroot ping \
        >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "port=$port socket=$sock"
        exit 0
      fi
      sleep 0.1
    done
    echo "mariadb.sh: mariadbd did not accept connections within 120 s" >&2
    kill -9 "$server" 2>/dev/null || true
    exit 1
    ;;
  stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 600); do
      kill -0 "$pid" 2>/dev/null || exit 0
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    ;;
  *)
    usage
    ;;
esac
