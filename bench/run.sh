#!/usr/bin/env bash
# Runs every benchmark against the build in $1 (default: build) and prints the results with the
# machine they ran on. Copy the output into bench/RESULTS.md.
set -euo pipefail
BUILD="${1:-build}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $(sqlite3 --version | cut -d' ' -f1-2)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo
echo "## SQLite → SQLite"
"$BUILD/bench/sync_bench" "${ROWS:-200000}" "${STREAM:-100000}"
echo
echo "## Normalize + validate, Lua filters and rules"
"$BUILD/bench/quality_bench" "${RECORDS:-200000}"
echo
echo "## concord check: MariaDB vs PostgreSQL"
"$BUILD/bench/check_bench" "${CHECK_ROWS:-1000000}"
echo
echo "## MariaDB ↔ PostgreSQL (issue 3): snapshot vs COPY and pgloader, streaming"
"$BUILD/bench/db_sync_bench" snapshot "${SNAPSHOT_ROWS:-1000000}" "${SNAPSHOT_BATCH:-5000}"
# PG_CAPTURE=logical measures PostgreSQL logical decoding as the source instead of triggers.
for direction in pg2my my2pg; do
  "$BUILD/bench/db_sync_bench" stream "$direction" --capture "${PG_CAPTURE:-trigger}" \
    --backlog "${BACKLOG:-200000}" --rate 1000 --seconds 10
done
