#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: run_fuzzer.sh <fuzzer> <seed corpus> <seconds>.
# New inputs go to a temporary corpus (the seeds in the repository are not modified); a crash,
# a hang (-timeout) or memory growth past -rss_limit_mb fails the run, and the input that did it
# is kept in the build directory as crash-*/timeout-*/oom-* for reproduction:
#   <fuzzer> <that file>
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=$(dirname "$fuzzer")/artifacts/
mkdir -p "$artifacts"
exec "$fuzzer" "$work" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=1024 -print_final_stats=1 -artifact_prefix="$artifacts" 2>&1
