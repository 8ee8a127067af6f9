#!/bin/bash
# A three-node RabbitMQ cluster on loopback, owned by the caller (issue 12's cluster path):
# Debian's rabbitmq-server 3.10 package, never its system service.
#
#   rabbit-cluster.sh start DIR          three nodes rabbit1..3@localhost, joined, the MQTT plugin
#                                        on, the county's quorum queue and its binding declared;
#                                        prints the ports and writes them to DIR/cluster.env
#   rabbit-cluster.sh stop DIR           stops every process start left (nodes, their epmd)
#   rabbit-cluster.sh stop-node DIR N    stops node N (1-3) alone: a node lost midway
#   rabbit-cluster.sh start-node DIR N   starts node N again; it rejoins the cluster by itself
#   rabbit-cluster.sh ctl DIR N ARGS…    rabbitmqctl against node N, with the cluster's cookie
#
# DIR is the caller's folder (created when missing); everything lives in it: the cookie (in
# DIR/home, the HOME of every node and of rabbitmqctl), each node's config, database and logs.
# Environment: RABBIT_QUEUE (default sealwatch-county), RABBIT_BINDING (default sealwatch.v1.#,
# the routing key of <topic_prefix>/# once the MQTT plugin has turned '/' into '.'),
# RABBIT_START_TIMEOUT_S (default 120, for the whole start).
# TLS for the gateways (MQTT over TLS, as in the field) and the county (amqps://): RABBIT_TLS_CA,
# RABBIT_TLS_CERT and RABBIT_TLS_KEY (PEM files) give every node an MQTT TLS listener and an AMQP
# TLS listener beside the plain ones, on loopback ports of their own (MQTTS_PORT_N and
# AMQPS_PORT_N in cluster.env), that ask clients for a certificate from that CA (mutual TLS, as
# the county's mosquitto does). The plain listeners stay, for the load generator
# (tests/bench/county_load.py) and for tests that want no TLS.
#
# Why so many variables: a node takes its name, ports and folders from RABBITMQ_* variables and
# otherwise falls back on the system service's (/etc/rabbitmq, /var/lib/rabbitmq, port 5672), and
# Erlang registers nodes with an epmd on port 4369 that a system service may own. Each cluster
# gets its own epmd on a free loopback port (ERL_EPMD_PORT), started here, so `stop` ends it.
# The nodes run as the calling user, root included (CI): /usr/lib/rabbitmq/bin is used directly,
# not the /usr/sbin wrappers that switch to user rabbitmq and its /var/lib/rabbitmq.
set -euo pipefail

RABBIT_BIN=/usr/lib/rabbitmq/bin
QUEUE=${RABBIT_QUEUE:-sealwatch-county}
BINDING=${RABBIT_BINDING:-sealwatch.v1.#}
START_TIMEOUT_S=${RABBIT_START_TIMEOUT_S:-120}
NODES=(1 2 3)
TLS_CA=${RABBIT_TLS_CA:-}
TLS_CERT=${RABBIT_TLS_CERT:-}
TLS_KEY=${RABBIT_TLS_KEY:-}

die() { echo "rabbit-cluster: $*" >&2; exit 1; }

# N free loopback TCP ports, distinct (the kernel's choice, released right away).
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# The environment every node and every rabbitmqctl of this cluster runs with.
cluster_env() {
    local dir=$1
    export HOME=$dir/home
    export ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1
    export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf  # empty: not /etc/rabbitmq's
    export RABBITMQ_USE_LONGNAME=false
}

node_env() {
    local dir=$1 n=$2
    local amqp_var=AMQP_PORT_$n dist_var=DIST_PORT_$n
    cluster_env "$dir"
    export RABBITMQ_NODENAME=rabbit$n@localhost
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT=${!amqp_var}
    export RABBITMQ_DIST_PORT=${!dist_var}
    export RABBITMQ_CONFIG_FILE=$dir/rabbit$n/rabbitmq.conf
    export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/rabbit$n/advanced.config  # absent: none
    export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
    export RABBITMQ_MNESIA_BASE=$dir/rabbit$n/mnesia
    export RABBITMQ_LOG_BASE=$dir/rabbit$n/log
    export RABBITMQ_PID_FILE=$dir/rabbit$n/beam.pid
    export RABBITMQ_PLUGINS_EXPAND_DIR=$dir/rabbit$n/plugins-expand
    # The distribution listens on loopback only.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

ctl() {
    local dir=$1 n=$2
    shift 2
    (cluster_env "$dir"; "$RABBIT_BIN/rabbitmqctl" -n "rabbit$n@localhost" -q "$@")
}

load_env() {
    [ -f "$1/cluster.env" ] || die "no cluster in $1 (no cluster.env)"
    # shellcheck disable=SC1091
    . "$1/cluster.env"
}

# Starts node N in its own session (setsid): the wrapper shell's pid is also the process group of
# everything the node runs (beam.smp, erl_child_setup, inet_gethost), which `stop` ends.
start_node() {
    local dir=$1 n=$2
    mkdir -p "$dir/rabbit$n/log"
    (node_env "$dir" "$n"
     exec setsid "$RABBIT_BIN/rabbitmq-server" </dev/null >>"$dir/rabbit$n/log/console.log" 2>&1) &
    echo $! >"$dir/rabbit$n/group.pid"
}

# True once node N's MQTT listener accepts: the plugin starts last, after the node has joined
# the cluster, so this is "node up" without a rabbitmqctl call (each costs an Erlang VM's boot,
# 10-40 s on a loaded 2-core machine).
node_listening() {
    local dir=$1 n=$2
    local mqtt_var=MQTT_PORT_$n
    (exec 3<>"/dev/tcp/127.0.0.1/${!mqtt_var}") 2>/dev/null
}

# Waits until node N listens, within what is left of the start's budget.
await_node() {
    local dir=$1 n=$2 deadline=$3
    until node_listening "$dir" "$n"; do
        local group
        group=$(cat "$dir/rabbit$n/group.pid")
        kill -0 "$group" 2>/dev/null ||
            die "rabbit$n@localhost exited while starting (log: $dir/rabbit$n/log)"
        [ "$(date +%s)" -lt "$deadline" ] ||
            die "rabbit$n@localhost did not start within ${START_TIMEOUT_S} s (log: $dir/rabbit$n/log)"
        sleep 0.5
    done
}

stop_node() {
    local dir=$1 n=$2
    local pidfile=$dir/rabbit$n/group.pid
    [ -f "$pidfile" ] || return 0
    local group
    group=$(cat "$pidfile")
    if kill -0 "$group" 2>/dev/null; then
        # The wrapper shell turns TERM into a clean stop of the node (rabbitmq-server's trap).
        kill -TERM "$group" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$group" 2>/dev/null || break
            sleep 0.2
        done
    fi
    kill -KILL -- "-$group" 2>/dev/null || true
    rm -f "$pidfile"
}

# Node N's MQTT and AMQP TLS listeners: its certificate and key, and a client certificate from
# the CA required (docs/county.md shows the same lines for a real cluster).
tls_listener() {
    local mqtts_var=MQTTS_PORT_$1 amqps_var=AMQPS_PORT_$1
    cat <<EOF
mqtt.listeners.ssl.default = 127.0.0.1:${!mqtts_var}
listeners.ssl.default = 127.0.0.1:${!amqps_var}
ssl_options.cacertfile = $TLS_CA
ssl_options.certfile = $TLS_CERT
ssl_options.keyfile = $TLS_KEY
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
EOF
}

cmd_start() {
    local dir=$1
    if [ -n "$TLS_CA$TLS_CERT$TLS_KEY" ]; then
        for f in "$TLS_CA" "$TLS_CERT" "$TLS_KEY"; do
            [ -f "$f" ] && [ -r "$f" ] ||
                die "RABBIT_TLS_CA, RABBIT_TLS_CERT, RABBIT_TLS_KEY: '$f' is not a readable file"
        done
        # The nodes run in other folders: absolute paths in their config.
        TLS_CA=$(realpath "$TLS_CA") TLS_CERT=$(realpath "$TLS_CERT") TLS_KEY=$(realpath "$TLS_KEY")
    fi
    mkdir -p "$dir/home"
    dir=$(cd "$dir" && pwd)
    # A stopped cluster's nodes would wait for their old peers: every start is a new cluster.
    [ ! -e "$dir/rabbit1" ] || die "$dir holds an earlier cluster; start in a new folder"
    local deadline=$(($(date +%s) + START_TIMEOUT_S))

    local ports
    read -r -a ports <<<"$(free_ports 16)"
    {
        echo "EPMD_PORT=${ports[0]}"
        for n in "${NODES[@]}"; do
            echo "AMQP_PORT_$n=${ports[$((5 * n - 4))]}"
            echo "MQTT_PORT_$n=${ports[$((5 * n - 3))]}"
            echo "DIST_PORT_$n=${ports[$((5 * n - 2))]}"
            [ -z "$TLS_CA" ] || echo "MQTTS_PORT_$n=${ports[$((5 * n - 1))]}"
            [ -z "$TLS_CA" ] || echo "AMQPS_PORT_$n=${ports[$((5 * n))]}"
        done
        echo "QUEUE=$QUEUE"
        echo "BINDING=$BINDING"
    } >"$dir/cluster.env"
    load_env "$dir"

    # One cookie for the three nodes and rabbitmqctl: Erlang reads $HOME/.erlang.cookie and
    # insists on mode 0400.
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$dir/home/.erlang.cookie"
    chmod 0400 "$dir/home/.erlang.cookie"
    : >"$dir/rabbitmq-env.conf"
    echo "[rabbitmq_mqtt]." >"$dir/enabled_plugins"
    for n in "${NODES[@]}"; do
        local mqtt_var=MQTT_PORT_$n
        mkdir -p "$dir/rabbit$n"
        cat >"$dir/rabbit$n/rabbitmq.conf" <<EOF
mqtt.listeners.tcp.default = 127.0.0.1:${!mqtt_var}
mqtt.allow_anonymous = true
log.file.level = info
log.console = false
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = rabbit1@localhost
cluster_formation.classic_config.nodes.2 = rabbit2@localhost
cluster_formation.classic_config.nodes.3 = rabbit3@localhost
EOF
        [ -z "$TLS_CA" ] || tls_listener "$n" >>"$dir/rabbit$n/rabbitmq.conf"
    done

    (cluster_env "$dir"; exec setsid epmd -port "$EPMD_PORT" -address 127.0.0.1 \
        </dev/null >>"$dir/epmd.log" 2>&1) &
    echo $! >"$dir/epmd.pid"

    # The cluster forms as the nodes boot (peer discovery from the node list in the config; no
    # stop_app / join_cluster / start_app round, which costs six rabbitmqctl calls): node 1
    # first, alone, so that it founds the cluster; then 2 and 3 at once, which find it running
    # and join it. A node that was already a member (start-node) rejoins the same way.
    start_node "$dir" 1
    await_node "$dir" 1 "$deadline"
    for n in 2 3; do start_node "$dir" "$n"; done
    for n in 2 3; do await_node "$dir" "$n" "$deadline"; done

    # The queue and its binding, declared once all three nodes are in: a quorum queue's members
    # are the cluster's nodes at declaration. Declared through `rabbitmqctl import_definitions`,
    # the same definitions file an operator keeps (docs/county.md): no management plugin (Debian
    # does not ship rabbitmqadmin), no AMQP client here, and importing it again changes nothing.
    cat >"$dir/definitions.json" <<EOF
{"queues": [{"name": "$QUEUE", "vhost": "/", "durable": true, "auto_delete": false,
             "arguments": {"x-queue-type": "quorum"}}],
 "bindings": [{"source": "amq.topic", "vhost": "/", "destination": "$QUEUE",
               "destination_type": "queue", "routing_key": "$BINDING", "arguments": {}}]}
EOF
    ctl "$dir" 1 import_definitions "$dir/definitions.json" >/dev/null
    # One look proves both the cluster and the queue: a member on each of the three nodes.
    local members
    members=$(ctl "$dir" 1 list_queues name type members --no-table-headers | grep "^$QUEUE" || true)
    for n in "${NODES[@]}"; do
        grep -q "rabbit$n@localhost" <<<"$members" ||
            die "queue $QUEUE has no member on rabbit$n@localhost (a node outside the cluster?): $members"
    done
    cat "$dir/cluster.env"
}

cmd_stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    local stopping=()
    for n in "${NODES[@]}"; do
        stop_node "$dir" "$n" &
        stopping+=($!)
    done
    wait "${stopping[@]}"  # not a bare wait: epmd is a child of this shell too
    if [ -f "$dir/epmd.pid" ]; then
        kill -TERM "$(cat "$dir/epmd.pid")" 2>/dev/null || true
        rm -f "$dir/epmd.pid"
    fi
    rm -f "$dir/cluster.env"
}

[ $# -ge 2 ] || die "usage: $0 start|stop DIR | stop-node|start-node DIR N | ctl DIR N ARGS..."
verb=$1
dir=$2
shift 2
case $verb in
start)
    [ -x "$RABBIT_BIN/rabbitmq-server" ] || die "rabbitmq-server is not installed"
    # A start that fails half way (set -e, die) leaves nothing running.
    stop_unless_started() {
        local rc=$?
        [ "$rc" -eq 0 ] || cmd_stop "$dir"
    }
    trap stop_unless_started EXIT
    cmd_start "$dir"
    ;;
stop) cmd_stop "$dir" ;;
stop-node)
    load_env "$dir"
    stop_node "$dir" "$1"
    ;;
start-node)
    load_env "$dir"
    start_node "$dir" "$1"
    await_node "$dir" "$1" $(($(date +%s) + START_TIMEOUT_S))
    ;;
ctl)
    load_env "$dir"
    n=$1
    shift
    ctl "$dir" "$n" "$@"
    ;;
*) die "unknown verb $verb" ;;
esac
