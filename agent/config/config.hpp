#pragma once
// The agent's configuration: one TOML file, validated strictly. Every key, its type, range and
// default is documented in docs/config.md. Problems come back as "FILE:LINE: message", all of
// them from one run; a config with any problem is not used (a reload keeps the old one).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "profiles/catalog.hpp"

namespace sealwatch::config {

struct Gateway {
    std::string id;
    std::string site;
    std::string data_dir = "/var/lib/sealwatch";
    std::string timezone = "UTC";
    std::vector<std::string> profile_dirs;  // user profiles, on top of the built-in ones
};

struct Tls {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
};

struct Uplink {
    std::string host = "127.0.0.1";
    int port = 8883;
    std::string topic_prefix = "sealwatch/v1";
    std::optional<Tls> tls;
    std::string username;
    std::string password;
    bool insecure = false;  // plain MQTT, no TLS: only when asked for in so many words
    int keepalive_s = 30;
};

enum class BusKind { rtu, tcp };

struct Bus {
    unsigned line = 0;  // where it was declared, for later messages
    std::string id;
    BusKind kind = BusKind::tcp;
    // rtu
    std::string device;
    int baud = 9600;
    char parity = 'N';
    int data_bits = 8;
    int stop_bits = 1;
    bool rs485_ioctl = false;
    // tcp
    std::string host;
    int port = 502;
    // both
    int timeout_ms = 800;  // see docs/config.md for why not libmodbus' 500
    int byte_timeout_ms = 100;
    int inter_frame_ms = 0;
};

struct Meter {
    unsigned line = 0;
    std::string id;
    std::string bus;
    int unit = 1;
    std::string profile;
    int interval_ms = 1000;
    int offline_after = 3;       // consecutive failed polls before the meter counts as offline
    int backoff_max_ms = 30000;  // longest wait between tries of an offline meter
};

enum class AssetState { operating, rectifying, shut, sealed, dismantled };

struct Asset {
    unsigned line = 0;
    std::string id;
    std::string kind;
    AssetState state = AssetState::operating;
    std::vector<std::string> meters;
    double standby_w = 0;
};

struct Balance {
    unsigned line = 0;
    std::string main;
    std::vector<std::string> subs;
    double tolerance_pct = 5;
};

struct Config {
    std::string file;
    Gateway gateway;
    Uplink uplink;
    std::vector<Bus> buses;
    std::vector<Meter> meters;
    std::vector<Asset> assets;
    std::vector<Balance> balances;
    profiles::Catalog profiles;

    const Bus* find_bus(std::string_view id) const;
    const Meter* find_meter(std::string_view id) const;
};

using Problems = std::vector<std::string>;

tl::expected<Config, Problems> parse(std::string_view text, const std::string& file_name);
tl::expected<Config, Problems> load(const std::string& path);

std::string_view to_string(AssetState state);
std::optional<AssetState> parse_asset_state(std::string_view text);

}  // namespace sealwatch::config
