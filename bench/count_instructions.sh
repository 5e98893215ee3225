#!/usr/bin/env bash
# Counts the instructions `concord run --once` executes for an initial copy of ROWS customers
# MariaDB → PostgreSQL (db_sync_bench snapshot ROWS CHUNK --concord-only), under callgrind.
# Unlike seconds, which swing by tens of percent on a shared machine, the count repeats to within
# 0.1%: it decides whether a change to the copy's CPU path pays (bench/RESULTS.md). It counts
# work, not waiting or cache misses; confirm a change with alternating wall-clock runs.
#   bash bench/count_instructions.sh [BUILD_DIR=build] [ROWS=50000] [CHUNK=5000]
# Prints the total and the per-row figure. With KEEP_CALLGRIND=DIR the callgrind files are kept
# in DIR, for callgrind_annotate (--inclusive=yes, --tree=calling). The db_sync_bench runs the
# binary at BUILD_DIR/concord: it is moved aside for the run, a wrapper that starts it under
# valgrind takes its place, and it is put back when the script ends, however it ends.
set -euo pipefail
BUILD="$(cd "${1:-build}" && pwd)"
ROWS="${2:-50000}"
CHUNK="${3:-5000}"
if ! command -v valgrind >/dev/null; then  # Debian's package, as db_sync_bench does for pgloader
  apt-get install -y valgrind >/dev/null ||
    { echo "count_instructions.sh: cannot install valgrind (apt-get, as root)" >&2; exit 1; }
fi
[ -x "$BUILD/concord" ] && [ -x "$BUILD/bench/db_sync_bench" ] ||
  { echo "count_instructions.sh: build $BUILD first (concord, bench/db_sync_bench)" >&2; exit 1; }

out="$(mktemp -d)"
keep="${KEEP_CALLGRIND:-}"  # a directory: the callgrind files are copied there for callgrind_annotate
real="$BUILD/concord.counted"
mv "$BUILD/concord" "$real"
trap 'mv -f "$real" "$BUILD/concord"; [ -n "$keep" ] && cp "$out"/callgrind.* "$keep"/ 2>/dev/null; rm -rf "$out"' EXIT
cat > "$BUILD/concord" <<WRAPPER
#!/usr/bin/env bash
exec valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" "$real" "\$@"
WRAPPER
chmod +x "$BUILD/concord"

"$BUILD/bench/db_sync_bench" snapshot "$ROWS" "$CHUNK" --concord-only --rounds 1 >"$out/bench.log" 2>&1 ||
  { cat "$out/bench.log" >&2; exit 1; }
total=0
for f in "$out"/callgrind.*; do
  n=$(awk '/^summary:/{print $2}' "$f")
  total=$((total + n))
done
echo "concord run --once, $ROWS rows in chunks of $CHUNK: $total instructions," \
     "$((total / ROWS)) per row (including the run's fixed cost)"
