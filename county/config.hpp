#pragma once
// sealwatch-county's configuration: one TOML file, validated as strictly as the agent's (unknown
// keys and bad values are problems "FILE:LINE: message", all of them from one run). Every key,
// its type, range and default is documented in docs/county.md:
//
//   [county]          data_dir, silent_after_s, power_retention_h
//   [store]           kind ("sqlite", the default: data_dir/county.db | "postgresql"), url
//   [broker]          host, port, topic_prefix, username, password, keepalive_s, insecure,
//                     client_id; [broker.tls] ca_file, cert_file, key_file
//   [source]          kind ("mqtt": the [broker] subscription, or "amqp": a RabbitMQ queue);
//                     for amqp: urls, queue, prefetch, heartbeat_s; [source.tls] ca_file,
//                     cert_file, key_file (for amqps:// urls)
//   [[command_key]]   id, private_key_file (made by `sealwatch-county keygen`); `send` signs
//                     with the first one unless told `--key ID`
//   [web]             host, port, username, password_hash, timezone; [web.tls] cert_file,
//                     key_file: the bureau's read-only page, served by `run` (county/web/)
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "config/broker.hpp"

namespace sealwatch::county {

struct CommandKey {
    unsigned line = 0;
    std::string id;                // as in the gateways' [[command_key]] tables
    std::string private_key_file;  // PKCS#8 PEM, as `sealwatch-county keygen --out` writes it
};

struct Broker : config::Broker {
    // The MQTT client id of `run`, whose session the broker keeps while it is away, so it must
    // stay the same across restarts and be unique on the broker. `send` connects as
    // "<client_id>-send-<pid>" with a clean session, so both can run at once.
    std::string client_id = "sealwatch-county";
};

// `run` consuming from a RabbitMQ quorum queue over AMQP 0-9-1 instead of subscribing over MQTT
// (county/source/amqp_source.hpp). The queue is the operator's, declared and bound to amq.topic
// before the first gateway connects (docs/county.md); `run` only checks that it exists.
struct AmqpSettings {
    // amqp://user:password@host:port/vhost, one per node of the cluster, tried in turn; all
    // amqps:// (TLS, with `tls`) or all amqp:// (plain, for a private network).
    std::vector<std::string> urls;
    // [source.tls]: the CA that signed the nodes' certificates (checked, with the host name, as
    // for MQTT) and the county's client certificate where the nodes ask for one.
    std::optional<config::Tls> tls;
    std::string queue = "sealwatch-county";
    int prefetch = 100;    // deliveries the broker sends ahead of the acknowledgements
    int heartbeat_s = 30;  // AMQP heartbeat (0: none): how soon a silent dead node is noticed
};

struct SourceSettings {
    enum class Kind { mqtt, amqp };
    Kind kind = Kind::mqtt;
    AmqpSettings amqp;  // kind amqp
};

// Where the county keeps what it knows (county/store/open_store.hpp opens it).
struct Storage {
    enum class Kind { sqlite, postgresql };
    Kind kind = Kind::sqlite;
    std::string url;  // postgresql: a libpq URI ("postgresql://…") or "key=value …" conninfo
};

// The bureau's page (docs/county.md, "The web page"). Off without a [web] table. On loopback it
// may go without TLS and password; anywhere else both are required (the config is refused).
struct Web {
    unsigned line = 0;
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string username = "bureau";
    // An Argon2id hash in libsodium's string form ("$argon2id$v=19$m=…"), as
    // `sealwatch-county web-password` prints it; empty: no password asked (loopback only).
    std::string password_hash;
    std::string timezone = "UTC";  // times on the page are shown in it, with their offset
    struct Tls {
        std::string cert_file, key_file;  // PEM; the key unencrypted
    };
    std::optional<Tls> tls;
};

// True for the addresses only this machine can reach: 127.0.0.0/8, ::1, "localhost".
bool is_loopback(std::string_view host);

struct Config {
    std::string file;
    std::string data_dir = "/var/lib/sealwatch-county";
    int silent_after_s = 60;  // a gateway whose status says online, silent this long: `silent`
    // How long the per-minute power series (the web page's timeline) is kept, before the time
    // a message arrives: 72 h is three days of a fleet's power at about 45 bytes a minute and
    // meter (SQLite); alarms, gaps and the rest are kept for ever.
    int power_retention_h = 72;
    Storage store;
    Broker broker;
    SourceSettings source;
    std::vector<CommandKey> command_keys;
    std::optional<Web> web;

    const CommandKey* find_command_key(std::string_view id) const;
};

using Problems = std::vector<std::string>;

tl::expected<Config, Problems> parse(std::string_view text, const std::string& file_name);
tl::expected<Config, Problems> load(const std::string& path);

}  // namespace sealwatch::county
