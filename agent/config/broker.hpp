#pragma once
// The MQTT broker table that both sides read the same way: the agent's [uplink] and the county
// office's [broker] (docs/config.md, docs/county.md). Plain MQTT only when `insecure = true` is
// said in so many words; otherwise a [<table>.tls] table with at least the CA.
#include <optional>
#include <string>
#include <string_view>

#include "common/table_reader.hpp"

namespace sealwatch::config {

struct Tls {
    std::string ca_file;
    std::string cert_file;  // with key_file: a client certificate (both or neither)
    std::string key_file;
    bool operator==(const Tls&) const = default;
};

struct Broker {
    std::string host = "127.0.0.1";
    int port = 8883;  // 1883 when insecure
    std::string topic_prefix = "sealwatch/v1";
    std::optional<Tls> tls;
    std::string username;
    std::string password;
    bool insecure = false;  // plain MQTT, no TLS: only when asked for in so many words
    int keepalive_s = 30;
    bool operator==(const Broker&) const = default;
};

// Reads a TLS client table (its name in messages: `name`, e.g. "[uplink.tls]"): ca_file required,
// cert_file and key_file together or not at all, each an existing file.
Tls read_tls(const toml::table& t, const std::string& name, ProblemLog& log);

// Reads the broker keys of the table `r` reads (its name in messages: `table`, e.g. "uplink"),
// its sub-table `tls` included; the caller reads its own further keys from `r`.
void read_broker(TableReader& r, std::string_view table, Broker& broker);

}  // namespace sealwatch::config
