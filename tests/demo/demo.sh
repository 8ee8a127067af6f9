#!/usr/bin/env bash
# The demo: simulated meters (sealwatch-sim on Modbus TCP and, through a socat pty pair, RTU),
# the agent polling them and printing each reading as it arrives. Stops after DEMO_SECONDS
# (default 20) or Ctrl-C, and stops everything it started.
#
#   tests/demo/demo.sh            # builds the dev preset if needed, then runs
#   DEMO_SECONDS=60 tests/demo/demo.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$top/build/dev}
seconds=${DEMO_SECONDS:-20}

if [ ! -x "$build/bin/sealwatchd" ] || [ ! -x "$build/bin/sealwatch-sim" ]; then
    (cd "$top" && cmake --preset dev >/dev/null && cmake --build --preset dev -j2)
fi

work=$(mktemp -d /tmp/sealwatch-demo.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# RTU: a pty pair; the simulator serves one end, the agent polls the other.
socat pty,raw,echo=0,link="$work/tty-agent" pty,raw,echo=0,link="$work/tty-sim" 2>"$work/socat.log" &
pids+=($!)
for _ in $(seq 50); do [ -e "$work/tty-sim" ] && break; sleep 0.1; done

"$build/bin/sealwatch-sim" --scenario "$top/tests/scenarios/sim/demo.toml" \
    --tcp 127.0.0.1:0 --rtu "$work/tty-sim" --baud 9600 >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^ready' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening tcp 127.0.0.1:\([0-9]*\)$/\1/p' "$work/sim.out" | head -1)
[ -n "$port" ] || { echo "simulator did not start:"; cat "$work/sim.log"; exit 1; }

sed -e "s|@PORT@|$port|" -e "s|@TTY@|$work/tty-agent|" -e "s|@DATA@|$work/data|" \
    "$here/demo.toml.in" >"$work/sealwatch.toml"
echo "== config: $work/sealwatch.toml"
"$build/bin/sealwatch" config check --config "$work/sealwatch.toml"
echo "== simulator: Modbus TCP on 127.0.0.1:$port, RTU on $work/tty-sim; agent readings for ${seconds}s:"
"$build/bin/sealwatchd" --config "$work/sealwatch.toml" --print-readings &
pids+=($!)
sleep "$seconds"
echo "== demo done"
