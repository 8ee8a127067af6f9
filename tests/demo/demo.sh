#!/usr/bin/env bash
# The demo: simulated meters (sealwatch-sim over Modbus TCP, and over RTU through a socat pty
# pair), a real local mosquitto broker on a free loopback port, the agent at its default
# detection settings, a subscriber showing what the county office receives, and the county
# office's own program (sealwatch-county run) recording it: at the end its status, alarms and
# gaps, and a signed command sent to the gateway. Stops after DEMO_SECONDS (default 30) or
# Ctrl-C, and stops everything it started.
#
#   tests/demo/demo.sh                 # builds the dev preset if needed, then runs
#   DEMO_SECONDS=120 tests/demo/demo.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$top/build/dev}
seconds=${DEMO_SECONDS:-30}
furnace_on_after=${DEMO_FURNACE_ON_AFTER:-8}

if [ ! -x "$build/bin/sealwatchd" ] || [ ! -x "$build/bin/sealwatch-sim" ] ||
   [ ! -x "$build/bin/sealwatch-county" ]; then
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # file pattern
    for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1"; cat "$1" "${1%.out}.log" 2>/dev/null; exit 1
}

# The county office's broker, here on loopback.
mqtt_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)

# Modbus TCP: three meters on one port. A copy of the scenario, so the demo can switch the
# sealed furnace on by rewriting it and sending the simulator SIGHUP.
cp "$top/tests/scenarios/sim/demo.toml" "$work/meters.toml"
"$build/bin/sealwatch-sim" --scenario "$work/meters.toml" --tcp 127.0.0.1:0 \
    >"$work/sim-tcp.out" 2>"$work/sim-tcp.log" &
sim_tcp=$!
pids+=($sim_tcp)
wait_for "$work/sim-tcp.out" '^ready'
tcp_port=$(sed -n 's/^listening tcp 127.0.0.1:\([0-9]*\)$/\1/p' "$work/sim-tcp.out" | head -1)

# Modbus RTU: a pty pair; the simulator serves one end, the agent polls the other.
socat pty,raw,echo=0,link="$work/tty-agent" pty,raw,echo=0,link="$work/tty-sim" 2>"$work/socat.log" &
pids+=($!)
for _ in $(seq 50); do [ -e "$work/tty-sim" ] && break; sleep 0.1; done
"$build/bin/sealwatch-sim" --scenario "$here/rtu.toml" --rtu "$work/tty-sim" --baud 9600 \
    >"$work/sim-rtu.out" 2>"$work/sim-rtu.log" &
pids+=($!)
wait_for "$work/sim-rtu.out" '^ready'

sed -e "s|@PORT@|$tcp_port|" -e "s|@TTY@|$work/tty-agent|" -e "s|@DATA@|$work/data|" \
    -e "s|@MQTT_PORT@|$mqtt_port|" "$here/demo.toml.in" >"$work/sealwatch.toml"
# The county office: its key, trusted by the gateway for signed commands, and its program
# recording every gateway's stream into its own database.
"$build/bin/sealwatch-county" keygen --out "$work/county.key" --id county-demo >"$work/county-key.toml"
sed -n '/^\[\[command_key\]\]/,$p' "$work/county-key.toml" >>"$work/sealwatch.toml"
printf '[county]\ndata_dir = "%s"\n\n[broker]\nhost = "127.0.0.1"\nport = %s\ninsecure = true\n\n[[command_key]]\nid = "county-demo"\nprivate_key_file = "%s"\n' \
    "$work/county" "$mqtt_port" "$work/county.key" >"$work/county.toml"
"$build/bin/sealwatch-county" run --config "$work/county.toml" 2>"$work/county.log" &
pids+=($!)

echo "== config $work/sealwatch.toml:"
"$build/bin/sealwatch" config check --config "$work/sealwatch.toml"

echo "== broker 127.0.0.1:$mqtt_port; meters on Modbus TCP 127.0.0.1:$tcp_port and RTU $work/tty-sim"
echo "== what the county office receives (first 160 characters of each message), for ${seconds}s:"
# Through a process substitution, so that $! is mosquitto_sub itself: in a pipeline it would be
# awk, and a mosquitto_sub left behind retries the stopped broker forever, holding our stdout.
mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -t 'sealwatch/#' -v -q 1 > >(awk '{ print substr($0, 1, 160); fflush() }') &
pids+=($!)
"$build/bin/sealwatchd" --config "$work/sealwatch.toml" 2>"$work/agent.log" &
pids+=($!)
sleep "$furnace_on_after"
echo "== $(date +%T) someone switches the sealed furnace-2 on (800 kW): watch for the event"
sed -i 's/^program = \[{ at = "0s", p_w = 180 }\].*/program = [{ at = "0s", p_w = 800_000 }]/' "$work/meters.toml"
kill -HUP "$sim_tcp"
sleep $(( seconds > furnace_on_after ? seconds - furnace_on_after : 1 ))
echo "== sealwatch status (on the gateway):"
"$build/bin/sealwatch" status --config "$work/sealwatch.toml" || true
echo "== the county office: sealwatch-county status, alarms, gaps:"
"$build/bin/sealwatch-county" status --config "$work/county.toml" || true
"$build/bin/sealwatch-county" alarms --config "$work/county.toml" || true
"$build/bin/sealwatch-county" gaps --config "$work/county.toml" || true
echo "== the county office sends the gateway a signed ping:"
"$build/bin/sealwatch-county" send --config "$work/county.toml" gw-demo ping || true
echo "== agent log:"
cat "$work/agent.log"
echo "== demo done"
