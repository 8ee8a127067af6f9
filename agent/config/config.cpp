#include "config/config.hpp"

#include <filesystem>
#include <map>
#include <set>

#include "chain/crypto.hpp"
#include "common/duplicate_ids.hpp"
#include "common/problem_log.hpp"
#include "common/table_reader.hpp"
#include "common/toml_document.hpp"
#include "dlt645/frame.hpp"

namespace sealwatch::config {

std::string_view to_string(AssetState state) {
    switch (state) {
        case AssetState::operating:
            return "operating";
        case AssetState::rectifying:
            return "rectifying";
        case AssetState::shut:
            return "shut";
        case AssetState::sealed:
            return "sealed";
        case AssetState::dismantled:
            return "dismantled";
    }
    return "?";
}

std::optional<AssetState> parse_asset_state(std::string_view text) {
    for (auto s : {AssetState::operating, AssetState::rectifying, AssetState::shut,
                   AssetState::sealed, AssetState::dismantled})
        if (to_string(s) == text) return s;
    return std::nullopt;
}

const Bus* Config::find_bus(std::string_view id) const {
    for (const auto& b : buses)
        if (b.id == id) return &b;
    return nullptr;
}

const Meter* Config::find_meter(std::string_view id) const {
    for (const auto& m : meters)
        if (m.id == id) return &m;
    return nullptr;
}

namespace {

using Need = TableReader::Need;

// Linux's PATH_MAX less its terminating NUL: a longer data_dir cannot be opened.
constexpr size_t kMaxPathBytes = 4095;

class Parser {
  public:
    explicit Parser(ProblemLog& log) : log_(log) {}

    void root(const toml::table& tbl, Config& cfg) {
        TableReader r(tbl, "the top level", log_);
        if (const auto* t = r.table("gateway")) {
            gateway(*t, cfg.gateway);
        } else if (!r.has("gateway")) {
            r.problem_here("missing [gateway] table");
        }
        if (const auto* t = r.table("uplink")) uplink(*t, cfg.uplink);
        if (const auto* t = r.table("storage")) storage(*t, cfg.storage);
        for (const auto* t : r.tables("bus")) cfg.buses.push_back(bus(*t));
        for (const auto* t : r.tables("meter")) cfg.meters.push_back(meter(*t));
        for (const auto* t : r.tables("asset")) cfg.assets.push_back(asset(*t));
        for (const auto* t : r.tables("balance")) cfg.balances.push_back(balance(*t));
        if (const auto* t = r.table("detect")) detect(*t, cfg.detect);
        if (const auto* t = r.table("board")) board(*t, cfg.board);
        for (const auto* t : r.tables("command_key")) cfg.command_keys.push_back(command_key(*t));
    }

  private:
    void gateway(const toml::table& t, Gateway& g) {
        TableReader r(t, "[gateway]", log_);
        read_id(r, "id", g.id);
        read_id(r, "site", g.site);
        r.read("data_dir", g.data_dir);
        if (g.data_dir.empty()) r.problem("data_dir", "'data_dir' must not be empty");
        r.read("timezone", g.timezone);
        if (!valid_timezone(g.timezone))
            r.problem("timezone",
                      "unknown timezone \"" + g.timezone + "\" (see /usr/share/zoneinfo)");
        r.read("profile_dirs", g.profile_dirs);
        // Checked here, at the line naming them; the catalog reads only the folders that open.
        for (const auto& dir : g.profile_dirs) {
            std::error_code ec;
            std::filesystem::directory_iterator probe(dir, ec);
            if (ec)
                r.problem("profile_dirs",
                          "cannot read profile folder \"" + dir + "\": " + ec.message());
        }
        if (g.data_dir.size() > kMaxPathBytes)
            r.problem("data_dir", "'data_dir' is " + std::to_string(g.data_dir.size()) +
                                      " bytes long; a path has at most " +
                                      std::to_string(kMaxPathBytes));
    }

    static void read_id(TableReader& r, std::string_view key, std::string& out) {
        if (auto v = r.id(key)) out = std::move(*v);
    }

    static bool valid_timezone(const std::string& tz) {
        if (tz == "UTC") return true;
        if (tz.empty() || tz.find("..") != std::string::npos || tz.front() == '/') return false;
        std::filesystem::path db("/usr/share/zoneinfo");
        std::error_code ec;
        // A gateway without tzdata cannot check; accept the name and let the runtime say so.
        if (!std::filesystem::is_directory(db, ec)) return true;
        return std::filesystem::is_regular_file(db / tz, ec);
    }

    void uplink(const toml::table& t, Uplink& u) {
        TableReader r(t, "[uplink]", log_);
        read_broker(r, "uplink", u);
        r.read("batch_max_readings", u.batch_max_readings, 1, 10000);
        r.read("batch_max_delay_ms", u.batch_max_delay_ms, 0, 600000);
        r.read("max_inflight", u.max_inflight, 1, 1000);
    }

    void storage(const toml::table& t, Storage& s) {
        TableReader r(t, "[storage]", log_);
        r.read("budget_mb", s.budget_mb, 1, int64_t{1024} * 1024);
        r.read("raw_retention_days", s.raw_retention_days, 1, 36500);
        if (auto v = r.integer("flush_ms", 10, 60000)) s.flush_ms = static_cast<int>(*v);
        r.read("check_interval_s", s.check_interval_s, 1, 86400);
    }

    Bus bus(const toml::table& t) {
        Bus b;
        TableReader r(t, "[[bus]]", log_);
        b.line = r.line();
        read_id(r, "id", b.id);
        const auto kind = r.string("kind", Need::required);
        if (kind == "rtu") {
            b.kind = BusKind::rtu;
        } else if (kind == "tcp") {
            b.kind = BusKind::tcp;
        } else if (kind == "dlt645") {
            b.kind = BusKind::dlt645;
            // The standard's line (2400 8E1) and a meter's answer at that speed, which takes up
            // to 500 ms to begin and some 100 ms to arrive.
            b.baud = 2400;
            b.parity = 'E';
            b.timeout_ms = 1000;
            b.inter_frame_ms = 20;
        } else if (kind) {
            r.problem("kind",
                      "'kind' must be \"rtu\", \"tcp\" or \"dlt645\", not \"" + *kind + "\"");
        }
        r.read("timeout_ms", b.timeout_ms, 10, 60000);
        r.read("byte_timeout_ms", b.byte_timeout_ms, 1, 10000);
        r.read("inter_frame_ms", b.inter_frame_ms, 0, 10000);
        // rtu and dlt645 run on a serial line of the gateway or, through a serial device server
        // or a DTU in transparent mode, over TCP: one of the two, said by 'device' or 'host'.
        const bool either = b.kind != BusKind::tcp;
        const std::string kind_name = b.kind == BusKind::dlt645 ? "a dlt645" : "an rtu";
        if (either && r.has("device") == r.has("host"))
            r.problem_here(kind_name +
                           " bus needs 'device' (a serial line) or 'host' and 'port' (a serial "
                           "device server or DTU that carries its frames over TCP), not both");
        const bool serial = either && !r.has("host");
        if (serial) {
            r.read("device", b.device, Need::required);
            r.read("baud", b.baud, 300, 1000000);
            std::string parity = b.parity == 'E' ? "even" : b.parity == 'O' ? "odd" : "none";
            r.read("parity", parity);
            if (parity == "none") {
                b.parity = 'N';
            } else if (parity == "even") {
                b.parity = 'E';
            } else if (parity == "odd") {
                b.parity = 'O';
            } else {
                r.problem("parity", "'parity' must be \"none\", \"even\" or \"odd\"");
            }
            r.read("data_bits", b.data_bits, 5, 8);
            r.read("stop_bits", b.stop_bits, 1, 2);
            r.read("rs485_ioctl", b.rs485_ioctl);
            if (b.kind == BusKind::dlt645 && b.rs485_ioctl)
                r.problem("rs485_ioctl", "'rs485_ioctl' is not supported on a dlt645 bus yet");
            if (r.has("port"))
                r.reject("port", "'port' goes with 'host'; this bus is on 'device', a serial line");
        } else {
            r.read("host", b.host, Need::required);
            // Modbus TCP has its port 502; a device server's or DTU's port is whatever it was
            // set to (4001, 8899, 10001 are common), so it must be said.
            r.read("port", b.port, 1, 65535, either ? Need::required : Need::optional);
            for (auto key : {"device", "baud", "parity", "data_bits", "stop_bits", "rs485_ioctl"}) {
                if (!r.has(key)) continue;
                if (!either)
                    r.reject(key, std::string("'") + key + "' belongs to an rtu bus, not tcp");
                else if (std::string_view(key) == "device")
                    (void)r.node(key);  // 'device' and 'host' together: reported above
                else
                    r.reject(key, std::string("'") + key +
                                      "' belongs to a serial line ('device'); behind 'host' the "
                                      "device server or DTU drives the line: set it there");
            }
        }
        return b;
    }

    Meter meter(const toml::table& t) {
        Meter m;
        TableReader r(t, "[[meter]]", log_);
        m.line = r.line();
        read_id(r, "id", m.id);
        read_id(r, "bus", m.bus);
        if (r.has("address")) {
            r.read("address", m.address);
            if (!dlt645::parse_address(m.address))
                r.problem("address", "'address' must be 12 digits, e.g. \"000012345678\"");
            if (r.has("unit"))
                r.reject("unit", "a meter has a 'unit' (Modbus) or an 'address' (DL/T 645)");
        } else {
            r.read("unit", m.unit, 0, 255, Need::required);
        }
        r.read("profile", m.profile, Need::required);
        r.read("interval_ms", m.interval_ms, 100, 3600000);
        r.read("offline_after", m.offline_after, 1, 1000);
        r.read("backoff_max_ms", m.backoff_max_ms, 1000, 3600000);
        read_ratio(r, "ct_ratio", m.ratios.ct);
        read_ratio(r, "pt_ratio", m.ratios.pt);
        r.read("event_counts_interval_s", m.event_counts_interval_s, 10, 86400);
        return m;
    }

    // A transformer ratio, primary over secondary: positive (zero would wipe every value out,
    // a negative one flip it) and at most kMaxInstrumentRatio (beyond it, a typo).
    static void read_ratio(TableReader& r, std::string_view key, double& out) {
        auto v = r.number(key, 0, kMaxInstrumentRatio);
        if (!v) return;
        if (*v == 0) {
            r.problem(key, r.name(key) +
                               " must be greater than 0: primary over secondary, e.g. 200 for a "
                               "1000/5 A current transformer");
            return;
        }
        out = *v;
    }

    Asset asset(const toml::table& t) {
        Asset a;
        TableReader r(t, "[[asset]]", log_);
        a.line = r.line();
        read_id(r, "id", a.id);
        r.read("kind", a.kind);
        const auto state = r.string("state", Need::required);
        if (auto s = parse_asset_state(state.value_or(""))) {
            a.state = *s;
        } else if (state) {
            r.problem("state",
                      "'state' must be one of operating, rectifying, shut, sealed, "
                      "dismantled; not \"" +
                          *state + "\"");
        }
        r.read("meters", a.meters, Need::required);
        r.read("standby_w", a.standby_w, 0, 1e9);
        // Absent: the [detect] default applies (the detector resolves it).
        a.production_w = r.number("production_w", 0, 1e9);
        a.heat_w = r.number("heat_w", 0, 1e9);
        if (auto v = r.integer("min_on_s", 0, 86400)) a.min_on_s = static_cast<int>(*v);
        if (auto v = r.integer("min_off_s", 0, 86400)) a.min_off_s = static_cast<int>(*v);
        r.read("export_allowed", a.export_allowed);
        return a;
    }

    void detect(const toml::table& t, Detect& d) {
        TableReader r(t, "[detect]", log_);
        r.read("margin_w", d.margin_w, 0, 1e9);
        r.read("margin_pct", d.margin_pct, 0, 1000);
        r.read("min_on_s", d.min_on_s, 0, 86400);
        if (auto v = r.integer("min_samples", 1, 1000)) d.min_samples = static_cast<int>(*v);
        r.read("min_off_s", d.min_off_s, 0, 86400);
        r.read("production_w", d.production_w, 0, 1e9);
        r.read("heat_w", d.heat_w, 1, 1e9);
        r.read("heat_min_s", d.heat_min_s, 60, 86400);
        r.read("heat_max_s", d.heat_max_s, 60, 86400);
        r.read("heat_gap_max_s", d.heat_gap_max_s, 60, int64_t{7} * 86400);
        r.read("heats_min", d.heats_min, 1, 100);
        r.read("thd_i_min_pct", d.thd_i_min_pct, 0, 100);
        r.read("night_start_h", d.night_start_h, 0, 23);
        r.read("night_end_h", d.night_end_h, 0, 23);
        r.read("reverse_w", d.reverse_w, 0, 1e9);
        r.read("phase_min_a", d.phase_min_a, 0, 1e6);
        r.read("phase_loss_pct", d.phase_loss_pct, 0, 100);
        r.read("balance_window_s", d.balance_window_s, 10, 86400);
        r.read("balance_windows", d.balance_windows, 1, 100);
        r.read("balance_floor_w", d.balance_floor_w, 0, 1e9);
        r.read("counter_floor_kwh", d.counter_floor_kwh, 0, 1e6);
        r.read("rollback_tolerance_kwh", d.rollback_tolerance_kwh, 0, 1e6);
        r.read("max_power_w", d.max_power_w, 1, 1e12);
        r.read("offline_min_s", d.offline_min_s, 1, 86400);
        if (d.heat_max_s < d.heat_min_s)
            r.problem("heat_max_s", "'heat_max_s' must not be less than 'heat_min_s'");
    }

    Balance balance(const toml::table& t) {
        Balance b;
        TableReader r(t, "[[balance]]", log_);
        b.line = r.line();
        read_id(r, "main", b.main);
        r.read("subs", b.subs, Need::required);
        r.read("tolerance_pct", b.tolerance_pct, 0, 100);
        return b;
    }

    // The named board's defaults first, then every key given overrides one of them.
    void board(const toml::table& t, Board& b) {
        TableReader r(t, "[board]", log_);
        std::string name = b.hw.name;
        r.read("name", name);
        if (auto d = board::defaults(name)) {
            b.hw = *d;
        } else {
            r.problem("name",
                      "unknown board \"" + name + "\" (known: " + board::board_names() + ")");
        }
        auto& h = b.hw;
        r.read("watchdog", h.watchdog_device);
        r.read("watchdog_timeout_s", h.watchdog_timeout_s, 1, 3600);
        r.read("tamper_chip", h.tamper_chip);
        r.read("tamper_line", h.tamper_line, -1, 4095);
        r.read("tamper_active_low", h.tamper_active_low);
        if (!h.tamper_chip.empty() && h.tamper_line < 0)
            r.problem_here("[board]: 'tamper_chip' needs 'tamper_line'");
        r.read("led", h.led);
        r.read("rs485_devices", h.rs485_devices);
        r.read("rs485_rts_on_send", h.rs485_rts_on_send);
        r.read("usb_mounts", h.usb_mounts);
        for (const auto& m : h.usb_mounts)
            if (m.empty() || (h.name == "sim") == (m.front() == '/'))
                r.problem("usb_mounts", h.name == "sim"
                                            ? "'usb_mounts' of the sim board are folders "
                                              "relative to sim_dir"
                                            : "'usb_mounts' must be absolute paths");
        r.read("sim_dir", h.sim_dir, h.name == "sim" ? Need::required : Need::optional);
        if (h.name != "sim" && !h.sim_dir.empty())
            r.problem("sim_dir", "'sim_dir' belongs to the sim board (name = \"sim\")");
        r.read("stall_s", b.stall_s, 2, 86400);
        r.read("alive_every_s", b.alive_every_s, 1, 3600);
        r.read("clock_jump_ms", b.clock_jump_ms, 100, 86400000);
    }

    CommandKey command_key(const toml::table& t) {
        CommandKey k;
        TableReader r(t, "[[command_key]]", log_);
        k.line = r.line();
        read_id(r, "id", k.id);
        auto key = r.string("public_key", Need::required);
        if (key && !chain::from_base64(*key, k.public_key))
            r.problem("public_key",
                      "'public_key' in [[command_key]] must be base64 of a 32-byte Ed25519 "
                      "public key (sealwatch-county keygen prints it)");
        return k;
    }

    ProblemLog& log_;
};

// A meter on its bus, as the bus's protocol tells meters apart: a Modbus unit or a DL/T 645
// address. The one place that knows which of the two a bus kind wants.
struct OnBus {
    profiles::Protocol protocol;  // what the meter's profile must speak
    std::string slot;             // "unit 3", "address 000012345678": one meter per slot
    std::string problem;          // empty when the meter's unit or address suits the bus
};

OnBus on_bus(const Meter& m, const Bus& b) {
    if (b.kind == BusKind::dlt645)
        return {profiles::Protocol::dlt645, "address " + m.address,
                m.address.empty() ? "a meter on a dlt645 bus needs an 'address'" : ""};
    OnBus modbus{profiles::Protocol::modbus, "unit " + std::to_string(m.unit), ""};
    if (!m.address.empty())
        modbus.problem =
            "'address' is for meters on a dlt645 bus; this bus speaks Modbus and needs a 'unit'";
    else if (b.kind == BusKind::rtu && (m.unit < 1 || m.unit > 247))
        modbus.problem = "unit " + std::to_string(m.unit) + " out of range [1, 247] on an RTU bus";
    return modbus;
}

// Checks that need the whole file: unique ids, references that resolve, profiles that exist.
void cross_check(Config& cfg, ProblemLog& log) {
    report_duplicate_ids(cfg.buses, "bus", log);
    report_duplicate_ids(cfg.meters, "meter", log);
    report_duplicate_ids(cfg.assets, "asset", log);
    report_duplicate_ids(cfg.command_keys, "command_key", log);

    std::map<std::pair<std::string, std::string>, std::string> slots;  // (bus, unit/address)
    for (const auto& m : cfg.meters) {
        const Bus* b = cfg.find_bus(m.bus);
        if (!m.bus.empty() && !b)
            log.add(m.line, "meter \"" + m.id + "\": no bus \"" + m.bus + "\"");
        const auto place = b ? std::optional(on_bus(m, *b)) : std::nullopt;
        if (place) {
            if (!place->problem.empty())
                log.add(m.line, "meter \"" + m.id + "\": " + place->problem);
            auto [pos, fresh] = slots.emplace(std::pair{m.bus, place->slot}, m.id);
            if (!fresh)
                log.add(m.line, "meter \"" + m.id + "\": " + place->slot + " on bus \"" + m.bus +
                                    "\" is already meter \"" + pos->second + "\"");
        }
        const profiles::Profile* profile =
            m.profile.empty() ? nullptr : cfg.profiles.find(m.profile);
        if (!m.profile.empty() && !profile)
            log.add(m.line, "meter \"" + m.id + "\": no profile \"" + m.profile + "\"");
        if (place && profile && profile->protocol != place->protocol)
            log.add(m.line, "meter \"" + m.id + "\": profile \"" + m.profile + "\" is for " +
                                std::string(profiles::to_string(profile->protocol)) +
                                " meters, and bus \"" + m.bus + "\" speaks " +
                                std::string(profiles::to_string(place->protocol)));
    }

    std::map<std::string, std::string> owner;
    for (const auto& a : cfg.assets) {
        if (a.meters.empty()) log.add(a.line, "asset \"" + a.id + "\": 'meters' is empty");
        for (const auto& mid : a.meters) {
            if (!cfg.find_meter(mid)) {
                log.add(a.line, "asset \"" + a.id + "\": no meter \"" + mid + "\"");
                continue;
            }
            auto [pos, fresh] = owner.emplace(mid, a.id);
            if (!fresh && pos->second != a.id)
                log.add(a.line, "asset \"" + a.id + "\": meter \"" + mid +
                                    "\" already belongs to asset \"" + pos->second + "\"");
        }
    }

    for (const auto& b : cfg.balances) {
        std::set<std::string> seen;
        if (!b.main.empty() && !cfg.find_meter(b.main))
            log.add(b.line, "balance: no meter \"" + b.main + "\"");
        seen.insert(b.main);
        if (b.subs.empty()) log.add(b.line, "balance: 'subs' is empty");
        for (const auto& s : b.subs) {
            if (!cfg.find_meter(s)) log.add(b.line, "balance: no meter \"" + s + "\"");
            if (!seen.insert(s).second)
                log.add(b.line, "balance: meter \"" + s + "\" appears twice");
        }
    }
}

}  // namespace

tl::expected<Config, Problems> parse(std::string_view text, const std::string& file_name) {
    ProblemLog log(file_name);
    auto tbl = parse_toml(text, log);
    if (!tbl) return tl::unexpected(log.in_file_order());
    Config cfg;
    cfg.file = file_name;
    Parser(log).root(*tbl, cfg);

    cfg.profiles = profiles::Catalog::builtin();
    for (const auto& dir : cfg.gateway.profile_dirs) {
        std::error_code ec;
        if (std::filesystem::directory_iterator probe(dir, ec); ec) continue;  // said at its line
        Problems of_profiles;
        cfg.profiles.add_folder(dir, of_profiles);
        log.add_other(std::move(of_profiles));
    }
    cross_check(cfg, log);
    if (!log.empty()) return tl::unexpected(log.in_file_order());
    return cfg;
}

tl::expected<Config, Problems> load(const std::string& path) {
    ProblemLog log(path);
    auto text = read_toml_file(path, log);
    if (!text) return tl::unexpected(log.in_file_order());
    return parse(*text, path);
}

}  // namespace sealwatch::config
