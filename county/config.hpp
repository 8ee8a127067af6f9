#pragma once
// sealwatch-county's configuration: one TOML file, validated as strictly as the agent's (unknown
// keys and bad values are problems "FILE:LINE: message", all of them from one run). Every key,
// its type, range and default is documented in docs/county.md:
//
//   [county]          data_dir, silent_after_s
//   [broker]          host, port, topic_prefix, username, password, keepalive_s, insecure,
//                     client_id; [broker.tls] ca_file, cert_file, key_file
//   [[command_key]]   id, private_key_file (made by `sealwatch-county keygen`); `send` signs
//                     with the first one unless told `--key ID`
//   [web]             reserved for the bureau's page; refused until that page exists
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

struct Config {
    std::string file;
    std::string data_dir = "/var/lib/sealwatch-county";
    int silent_after_s = 60;  // a gateway whose status says online, silent this long: `silent`
    Broker broker;
    std::vector<CommandKey> command_keys;

    const CommandKey* find_command_key(std::string_view id) const;
};

using Problems = std::vector<std::string>;

tl::expected<Config, Problems> parse(std::string_view text, const std::string& file_name);
tl::expected<Config, Problems> load(const std::string& path);

}  // namespace sealwatch::county
