#!/usr/bin/env bash
# Store ingest: bench_store (Store::append_readings, batches of 1000) on a plain file, N runs.
#   tests/bench/bench_store.sh [RUNS] [extra bench_store args, e.g. --values 23]
# The database goes to $BENCH_TMP (default: build/bench-store, on the same disk as the tree);
# one JSON line per run, with the load average before it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${SEALWATCH_BUILD:-$repo/build/release}/bin/bench_store
dir=${BENCH_TMP:-$repo/build/bench-store}
runs=${1:-5}
shift || true
mkdir -p "$dir"
echo "# $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(df -T "$dir" | awk 'NR==2{print $2}') at $dir" >&2
for ((i = 1; i <= runs; i++)); do
    echo "# run $i, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    "$bin" --db "$dir/ingest.db" --readings 1000000 --batch 1000 --values 8 "$@"
done
