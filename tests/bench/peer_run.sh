#!/usr/bin/env bash
# sealwatchd in the "agent" column of ../shared/bench-peers, next to collectd (and Node-RED if
# named), without changing any harness file: the harness's AGENT_* knobs only.
#
#   tests/bench/peer_run.sh [PEERS...]          default: collectd agent
#   SW_BATCH_MAX_READINGS=1 tests/bench/peer_run.sh agent    (one message per poll; unset, every
#                                                            uplink and storage key is the agent's
#                                                            default: peer_config_gen.py)
#
# Every harness variable passes through (DURATION, WARMUP, POLL_INTERVAL, NPORTS, UNITS, WORK,
# SETUP...). Afterwards: $WORK/table.md (the harness's table) and peer_latency.py's figures for
# the agent column (the harness cannot attribute our batched telemetry to meters by topic).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
harness=${BENCH_PEERS:-$(cd "$repo/../shared/bench-peers" && pwd)}
build=${SEALWATCH_BUILD:-$repo/build/release}

export AGENT_BIN=$build/bin/sealwatchd
export AGENT_ARGS='--config {config}'
export AGENT_CONFIG_GEN="python3 $here/peer_config_gen.py"
export AGENT_PREFIX=agent
# One topic per gateway: no meter number in it. A regex that never matches: the harness then
# measures everything but latency for us (peer_latency.py does that from the payloads).
export AGENT_PROBE_RE='^(?P<meter>[0-9]+)/sealwatch-has-no-per-meter-topic$'
export AGENT_VALUE_RE='"p_w":(?P<value>[-+0-9.eE]+)'
batch=${SW_BATCH_MAX_READINGS:-default}
# Messages per meter poll, for the harness's "expected" figure: 1 with batch 1; with batching,
# 1/batch would be right only for full batches, so leave it at 1 and read msgs/s as measured.
export AGENT_MSG_PER_POLL=1
export AGENT_REQ_PER_POLL=3
# The binary's build time, not the tree's commit: the tree may have moved on since the build.
export AGENT_VERSION="sealwatchd built $(date -u -r "$AGENT_BIN" '+%H:%M'), batch $batch, flush ${SW_FLUSH_MS:-default}"
export WORK=${WORK:-/tmp/peerbench}

[ -x "$AGENT_BIN" ] || { echo "build first: $AGENT_BIN" >&2; exit 1; }
if [ $# -eq 0 ]; then set -- collectd agent; fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
(cd "$harness" && ./run.sh "$@")
case " $* " in
*" agent "*) python3 "$here/peer_latency.py" "$WORK" | tee "$WORK/agent/latency.json" ;;
esac
