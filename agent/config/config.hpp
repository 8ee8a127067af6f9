#pragma once
// The agent's configuration: one TOML file, validated strictly. Every key, its type, range and
// default is documented in docs/config.md. Problems come back as "FILE:LINE: message", all of
// them from one run; a config with any problem is not used (a reload keeps the old one).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "board/catalog.hpp"
#include "common/instrument_ratios.hpp"
#include "config/broker.hpp"
#include "profiles/catalog.hpp"

namespace sealwatch::config {

struct Gateway {
    std::string id;
    std::string site;
    std::string data_dir = "/var/lib/sealwatch";
    std::string timezone = "UTC";
    std::vector<std::string> profile_dirs;  // user profiles, on top of the built-in ones
};

// The broker keys (host, port, topic_prefix, tls, ...) are read as the county's are
// (config/broker.hpp); these are the agent's own.
struct Uplink : Broker {
    int batch_max_readings = 200;   // readings per telemetry message
    int batch_max_delay_ms = 1000;  // a smaller batch leaves once its oldest reading is this old
    int max_inflight = 32;          // messages handed over and not yet acknowledged
    bool operator==(const Uplink&) const = default;
};

struct Storage {
    int budget_mb = 512;          // database + WAL on the flash card
    int raw_retention_days = 90;  // delivered raw readings older than this become minute rollups
    // Readings are committed in one transaction per this period; unset, it follows the
    // database's page size (store::default_flush_ms), which the config cannot know.
    std::optional<int> flush_ms;
    int check_interval_s = 60;  // how often retention and the budget are enforced
};

// rtu: Modbus RTU on a serial device; tcp: Modbus TCP; dlt645: DL/T 645-2007 on a serial
// device or over TCP (a transparent DTU).
enum class BusKind { rtu, tcp, dlt645 };

struct Bus {
    unsigned line = 0;  // where it was declared, for later messages
    std::string id;
    BusKind kind = BusKind::tcp;
    // rtu, and dlt645 on a serial device
    std::string device;
    int baud = 9600;
    char parity = 'N';
    int data_bits = 8;
    int stop_bits = 1;
    bool rs485_ioctl = false;
    // tcp, and dlt645 over TCP
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
    int unit = 1;         // Modbus
    std::string address;  // DL/T 645: 12 digits, as on the meter's label
    std::string profile;
    int interval_ms = 1000;
    int offline_after = 3;       // consecutive failed polls before the meter counts as offline
    int backoff_max_ms = 30000;  // longest wait between tries of an offline meter
    // ct_ratio / pt_ratio: the meter reports secondary values (common/instrument_ratios.hpp)
    InstrumentRatios ratios;
    // How often the meter's own event counts are read (DL/T 645 meters; docs/config.md). Five
    // minutes: a cover opened or a power-down reaches the county office within a few minutes,
    // well inside any inspection's reaction time, while the read (one request per count, 0.2 to
    // 0.4 s each at 2400 baud, about a dozen when the family is probed) costs a 1 s meter under
    // 1 % of its bus. They are read at once at the start and after an offline spell anyway.
    int event_counts_interval_s = 300;
};

enum class AssetState { operating, rectifying, shut, sealed, dismantled };

struct Asset {
    unsigned line = 0;
    std::string id;
    std::string kind;
    AssetState state = AssetState::operating;
    std::vector<std::string> meters;
    double standby_w = 0;
    // Detection overrides of the [detect] defaults for this asset (docs/detection.md).
    std::optional<double> production_w;  // shut asset: above this is production
    std::optional<double> heat_w;        // furnace signature: a heat draws at least this
    std::optional<int> min_on_s;         // a condition must last this long to raise
    std::optional<int> min_off_s;        // and be gone this long to clear
    bool export_allowed = false;         // true: the asset may feed the grid (no reverse_energy)
};

struct Balance {
    unsigned line = 0;
    std::string main;
    std::vector<std::string> subs;
    double tolerance_pct = 5;
};

// Detection defaults, the optional [detect] table; docs/detection.md says why these values.
struct Detect {
    double margin_w = 100;   // sealed: raise above standby_w + max(margin_w, margin_pct)
    double margin_pct = 20;  //   ... clear at or below standby_w
    int min_on_s = 0;        // a time floor to raise beyond the samples' own (detection.md)
    // Evaluations in a row to raise (and to clear). Absent: 2 at intervals up to 5 s, 3 above
    // (Site::samples_to_confirm; detection.md says why).
    std::optional<int> min_samples;
    int min_off_s = 1800;         // and be gone this long to clear (spans the gap between heats)
    double production_w = 50000;  // shut asset: production-level draw
    double heat_w = 100000;       // furnace heat: draw at least this
    int heat_min_s = 1200;        // a heat lasts at least
    int heat_max_s = 10800;       //   ... and at most (longer is a continuous process)
    int heat_gap_max_s = 10800;   // heats further apart than this are not one series
    int heats_min = 2;            // heats in a series to raise furnace_signature
    double thd_i_min_pct = 10;    // where the meter has THD-I: below this, not an induction load
    int night_start_h = 20;       // local night, for the time-of-day evidence
    int night_end_h = 6;
    double reverse_w = 100;          // negative power (total or a phase) beyond this is reverse
    double phase_min_a = 5;          // phase_loss: the loaded phases carry at least this
    double phase_loss_pct = 5;       //   ... and the dead one less than this % of the largest
    int balance_window_s = 900;      // unmetered_load: compare mean powers over windows this long
    int balance_windows = 2;         //   ... this many in a row to raise (and to clear)
    double balance_floor_w = 1000;   //   ... an excess must also exceed this
    double counter_floor_kwh = 0.1;  // consumption_while_offline: at least this much energy
    double rollback_tolerance_kwh = 0.1;  // counter_rollback: a decrease larger than this
    double max_power_w = 1e8;             // a counter step implying more than this is a glitch
    int offline_min_s = 10;               // meter silent for max(3 intervals, this): offline
};

// The [board] table: the gateway hardware (board/catalog.hpp: a named board's defaults, then
// these keys) and how the agent judges its own health, power and clock (docs/config.md).
struct Board {
    board::Settings hw;
    int stall_s = 120;         // a part that makes no progress this long: stop feeding watchdogs
    int alive_every_s = 15;    // "alive at" stamp: the downtime estimate after an unclean stop
    int clock_jump_ms = 5000;  // wall clock vs monotonic difference reported as clock_jump
};

// A county office key trusted to sign commands ([[command_key]], docs/config.md): the gateway
// carries out a command only when one of these signed it.
struct CommandKey {
    unsigned line = 0;
    std::string id;
    std::array<uint8_t, 32> public_key{};  // raw Ed25519
};

struct Config {
    std::string file;
    Gateway gateway;
    Uplink uplink;
    Storage storage;
    std::vector<Bus> buses;
    std::vector<Meter> meters;
    std::vector<Asset> assets;
    std::vector<Balance> balances;
    Detect detect;
    Board board;
    std::vector<CommandKey> command_keys;
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
