#include "config/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/text.hpp"
#include "config/table_reader.hpp"

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

class Parser {
  public:
    Parser(const std::string& file, Problems& problems) : file_(file), problems_(problems) {}

    void root(const toml::table& tbl, Config& cfg) {
        TableReader r(tbl, file_, "the top level", problems_);
        if (const auto* t = r.table("gateway")) {
            gateway(*t, cfg.gateway);
        } else if (!tbl.contains("gateway")) {
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
    }

  private:
    void gateway(const toml::table& t, Gateway& g) {
        TableReader r(t, file_, "[gateway]", problems_);
        r.id("id", g.id);
        r.id("site", g.site);
        r.string("data_dir", g.data_dir);
        if (g.data_dir.empty()) r.problem("data_dir", "'data_dir' must not be empty");
        r.string("timezone", g.timezone);
        if (!valid_timezone(g.timezone))
            r.problem("timezone",
                      "unknown timezone \"" + g.timezone + "\" (see /usr/share/zoneinfo)");
        r.strings("profile_dirs", g.profile_dirs);
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
        TableReader r(t, file_, "[uplink]", problems_);
        r.string("host", u.host);
        if (u.host.empty()) r.problem("host", "'host' must not be empty");
        r.boolean("insecure", u.insecure);
        u.port = u.insecure ? 1883 : 8883;
        r.integer("port", u.port, 1, 65535);
        r.string("topic_prefix", u.topic_prefix);
        if (u.topic_prefix.empty() || u.topic_prefix.find_first_of("#+") != std::string::npos ||
            u.topic_prefix.front() == '/' || u.topic_prefix.back() == '/')
            r.problem("topic_prefix",
                      "'topic_prefix' must be a non-empty MQTT topic without wildcards or "
                      "leading/trailing '/'");
        r.string("username", u.username);
        r.string("password", u.password);
        r.integer("keepalive_s", u.keepalive_s, 5, 3600);
        r.integer("batch_max_readings", u.batch_max_readings, 1, 10000);
        r.integer("batch_max_delay_ms", u.batch_max_delay_ms, 0, 600000);
        r.integer("max_inflight", u.max_inflight, 1, 1000);
        if (const auto* tt = r.table("tls")) {
            Tls tls;
            TableReader tr(*tt, file_, "[uplink.tls]", problems_);
            tr.string("ca_file", tls.ca_file, true);
            tr.string("cert_file", tls.cert_file);
            tr.string("key_file", tls.key_file);
            for (auto [key, path] : {std::pair<const char*, std::string*>{"ca_file", &tls.ca_file},
                                     {"cert_file", &tls.cert_file},
                                     {"key_file", &tls.key_file}}) {
                std::error_code ec;
                if (!path->empty() && !std::filesystem::exists(*path, ec))
                    tr.problem(key, std::string("'") + key + "': no such file " + *path);
            }
            if (tls.cert_file.empty() != tls.key_file.empty())
                tr.problem_here("[uplink.tls]: 'cert_file' and 'key_file' go together");
            u.tls = tls;
        }
        if (!u.insecure && !u.tls)
            r.problem_here(
                "[uplink]: no [uplink.tls] table; plain MQTT needs 'insecure = true' said "
                "explicitly");
        if (u.insecure && u.tls)
            r.problem("insecure", "'insecure = true' with [uplink.tls]: pick one");
    }

    void storage(const toml::table& t, Storage& s) {
        TableReader r(t, file_, "[storage]", problems_);
        r.integer("budget_mb", s.budget_mb, 1, 1024 * 1024);
        r.integer("raw_retention_days", s.raw_retention_days, 1, 36500);
        r.integer("flush_ms", s.flush_ms, 10, 60000);
        r.integer("check_interval_s", s.check_interval_s, 1, 86400);
    }

    Bus bus(const toml::table& t) {
        Bus b;
        TableReader r(t, file_, "[[bus]]", problems_);
        b.line = r.line();
        r.id("id", b.id);
        std::string kind;
        r.string("kind", kind, true);
        if (kind == "rtu") {
            b.kind = BusKind::rtu;
        } else if (kind == "tcp") {
            b.kind = BusKind::tcp;
        } else if (t.contains("kind")) {
            r.problem("kind", "'kind' must be \"rtu\" or \"tcp\", not \"" + kind + "\"");
        }
        r.integer("timeout_ms", b.timeout_ms, 10, 60000);
        r.integer("byte_timeout_ms", b.byte_timeout_ms, 1, 10000);
        r.integer("inter_frame_ms", b.inter_frame_ms, 0, 10000);
        if (b.kind == BusKind::rtu) {
            r.string("device", b.device, true);
            r.integer("baud", b.baud, 300, 1000000);
            std::string parity = "none";
            r.string("parity", parity);
            if (parity == "none") {
                b.parity = 'N';
            } else if (parity == "even") {
                b.parity = 'E';
            } else if (parity == "odd") {
                b.parity = 'O';
            } else {
                r.problem("parity", "'parity' must be \"none\", \"even\" or \"odd\"");
            }
            r.integer("data_bits", b.data_bits, 5, 8);
            r.integer("stop_bits", b.stop_bits, 1, 2);
            r.boolean("rs485_ioctl", b.rs485_ioctl);
            for (auto key : {"host", "port"})
                if (t.contains(key))
                    r.reject(key, std::string("'") + key + "' belongs to a tcp bus, not rtu");
        } else {
            r.string("host", b.host, true);
            r.integer("port", b.port, 1, 65535);
            for (auto key : {"device", "baud", "parity", "data_bits", "stop_bits", "rs485_ioctl"})
                if (t.contains(key))
                    r.reject(key, std::string("'") + key + "' belongs to an rtu bus, not tcp");
        }
        return b;
    }

    Meter meter(const toml::table& t) {
        Meter m;
        TableReader r(t, file_, "[[meter]]", problems_);
        m.line = r.line();
        r.id("id", m.id);
        r.id("bus", m.bus);
        r.integer("unit", m.unit, 0, 255, true);
        r.string("profile", m.profile, true);
        r.integer("interval_ms", m.interval_ms, 100, 3600000);
        r.integer("offline_after", m.offline_after, 1, 1000);
        r.integer("backoff_max_ms", m.backoff_max_ms, 1000, 3600000);
        return m;
    }

    Asset asset(const toml::table& t) {
        Asset a;
        TableReader r(t, file_, "[[asset]]", problems_);
        a.line = r.line();
        r.id("id", a.id);
        r.string("kind", a.kind);
        std::string state;
        r.string("state", state, true);
        if (auto s = parse_asset_state(state)) {
            a.state = *s;
        } else if (t.contains("state")) {
            r.problem("state",
                      "'state' must be one of operating, rectifying, shut, sealed, "
                      "dismantled; not \"" +
                          state + "\"");
        }
        r.strings("meters", a.meters, true);
        r.number("standby_w", a.standby_w, 0, 1e9);
        // Absent: the [detect] default applies (the detector resolves it).
        auto opt_number = [&](std::string_view key, std::optional<double>& out) {
            if (!t.contains(key)) return;
            double v = 0;
            r.number(key, v, 0, 1e9);
            out = v;
        };
        auto opt_integer = [&](std::string_view key, std::optional<int>& out) {
            if (!t.contains(key)) return;
            int v = 0;
            r.integer(key, v, 0, 86400);
            out = v;
        };
        opt_number("production_w", a.production_w);
        opt_number("heat_w", a.heat_w);
        opt_integer("min_on_s", a.min_on_s);
        opt_integer("min_off_s", a.min_off_s);
        r.boolean("export_allowed", a.export_allowed);
        return a;
    }

    void detect(const toml::table& t, Detect& d) {
        TableReader r(t, file_, "[detect]", problems_);
        r.number("margin_w", d.margin_w, 0, 1e9);
        r.number("margin_pct", d.margin_pct, 0, 1000);
        r.integer("min_on_s", d.min_on_s, 0, 86400);
        r.integer("min_samples", d.min_samples, 1, 1000);
        r.integer("min_off_s", d.min_off_s, 0, 86400);
        r.number("production_w", d.production_w, 0, 1e9);
        r.number("heat_w", d.heat_w, 1, 1e9);
        r.integer("heat_min_s", d.heat_min_s, 60, 86400);
        r.integer("heat_max_s", d.heat_max_s, 60, 86400);
        r.integer("heat_gap_max_s", d.heat_gap_max_s, 60, 7 * 86400);
        r.integer("heats_min", d.heats_min, 1, 100);
        r.number("thd_i_min_pct", d.thd_i_min_pct, 0, 100);
        r.integer("night_start_h", d.night_start_h, 0, 23);
        r.integer("night_end_h", d.night_end_h, 0, 23);
        r.number("reverse_w", d.reverse_w, 0, 1e9);
        r.number("phase_min_a", d.phase_min_a, 0, 1e6);
        r.number("phase_loss_pct", d.phase_loss_pct, 0, 100);
        r.integer("balance_window_s", d.balance_window_s, 10, 86400);
        r.integer("balance_windows", d.balance_windows, 1, 100);
        r.number("balance_floor_w", d.balance_floor_w, 0, 1e9);
        r.number("counter_floor_kwh", d.counter_floor_kwh, 0, 1e6);
        r.number("rollback_tolerance_kwh", d.rollback_tolerance_kwh, 0, 1e6);
        r.number("max_power_w", d.max_power_w, 1, 1e12);
        r.integer("offline_min_s", d.offline_min_s, 1, 86400);
        if (d.heat_max_s < d.heat_min_s)
            r.problem("heat_max_s", "'heat_max_s' must not be less than 'heat_min_s'");
    }

    Balance balance(const toml::table& t) {
        Balance b;
        TableReader r(t, file_, "[[balance]]", problems_);
        b.line = r.line();
        r.id("main", b.main);
        r.strings("subs", b.subs, true);
        r.number("tolerance_pct", b.tolerance_pct, 0, 100);
        return b;
    }

    // The named board's defaults first, then every key given overrides one of them.
    void board(const toml::table& t, Board& b) {
        TableReader r(t, file_, "[board]", problems_);
        std::string name = b.hw.name;
        r.string("name", name);
        if (auto d = board::defaults(name)) {
            b.hw = *d;
        } else {
            r.problem("name",
                      "unknown board \"" + name + "\" (known: " + board::board_names() + ")");
        }
        auto& h = b.hw;
        r.string("watchdog", h.watchdog_device);
        r.integer("watchdog_timeout_s", h.watchdog_timeout_s, 1, 3600);
        r.string("tamper_chip", h.tamper_chip);
        r.integer("tamper_line", h.tamper_line, -1, 4095);
        r.boolean("tamper_active_low", h.tamper_active_low);
        if (!h.tamper_chip.empty() && h.tamper_line < 0)
            r.problem_here("[board]: 'tamper_chip' needs 'tamper_line'");
        r.string("led", h.led);
        r.strings("rs485_devices", h.rs485_devices);
        r.boolean("rs485_rts_on_send", h.rs485_rts_on_send);
        r.string("sim_dir", h.sim_dir, h.name == "sim");
        if (h.name != "sim" && !h.sim_dir.empty())
            r.problem("sim_dir", "'sim_dir' belongs to the sim board (name = \"sim\")");
        r.integer("stall_s", b.stall_s, 2, 86400);
        r.integer("alive_every_s", b.alive_every_s, 1, 3600);
        r.integer("clock_jump_ms", b.clock_jump_ms, 100, 86400000);
    }

    const std::string& file_;
    Problems& problems_;
};

// Checks that need the whole file: unique ids, references that resolve, profiles that exist.
void cross_check(Config& cfg, Problems& problems) {
    const auto& f = cfg.file;
    auto unique = [&](auto& items, const char* what) {
        std::map<std::string, unsigned> first;
        for (const auto& it : items) {
            if (it.id.empty()) continue;
            auto [pos, fresh] = first.emplace(it.id, it.line);
            if (!fresh)
                problems.push_back(located(f, it.line,
                                           std::string("duplicate ") + what + " id \"" + it.id +
                                               "\" (first at line " + std::to_string(pos->second) +
                                               ")"));
        }
    };
    unique(cfg.buses, "bus");
    unique(cfg.meters, "meter");
    unique(cfg.assets, "asset");

    std::map<std::pair<std::string, int>, std::string> units;
    for (const auto& m : cfg.meters) {
        const Bus* b = cfg.find_bus(m.bus);
        if (!m.bus.empty() && !b)
            problems.push_back(
                located(f, m.line, "meter \"" + m.id + "\": no bus \"" + m.bus + "\""));
        if (b && b->kind == BusKind::rtu && (m.unit < 1 || m.unit > 247))
            problems.push_back(located(f, m.line,
                                       "meter \"" + m.id + "\": unit " + std::to_string(m.unit) +
                                           " out of range [1, 247] on an RTU bus"));
        if (b) {
            auto [pos, fresh] = units.emplace(std::pair{m.bus, m.unit}, m.id);
            if (!fresh)
                problems.push_back(located(f, m.line,
                                           "meter \"" + m.id + "\": unit " +
                                               std::to_string(m.unit) + " on bus \"" + m.bus +
                                               "\" is already meter \"" + pos->second + "\""));
        }
        if (!m.profile.empty() && !cfg.profiles.find(m.profile))
            problems.push_back(
                located(f, m.line, "meter \"" + m.id + "\": no profile \"" + m.profile + "\""));
    }

    std::map<std::string, std::string> owner;
    for (const auto& a : cfg.assets) {
        if (a.meters.empty())
            problems.push_back(located(f, a.line, "asset \"" + a.id + "\": 'meters' is empty"));
        for (const auto& mid : a.meters) {
            if (!cfg.find_meter(mid)) {
                problems.push_back(
                    located(f, a.line, "asset \"" + a.id + "\": no meter \"" + mid + "\""));
                continue;
            }
            auto [pos, fresh] = owner.emplace(mid, a.id);
            if (!fresh && pos->second != a.id)
                problems.push_back(located(f, a.line,
                                           "asset \"" + a.id + "\": meter \"" + mid +
                                               "\" already belongs to asset \"" + pos->second +
                                               "\""));
        }
    }

    for (const auto& b : cfg.balances) {
        std::set<std::string> seen;
        if (!b.main.empty() && !cfg.find_meter(b.main))
            problems.push_back(located(f, b.line, "balance: no meter \"" + b.main + "\""));
        seen.insert(b.main);
        if (b.subs.empty()) problems.push_back(located(f, b.line, "balance: 'subs' is empty"));
        for (const auto& s : b.subs) {
            if (!cfg.find_meter(s))
                problems.push_back(located(f, b.line, "balance: no meter \"" + s + "\""));
            if (!seen.insert(s).second)
                problems.push_back(
                    located(f, b.line, "balance: meter \"" + s + "\" appears twice"));
        }
    }
}

}  // namespace

tl::expected<Config, Problems> parse(std::string_view text, const std::string& file_name) {
    Problems problems;
    Config cfg;
    cfg.file = file_name;
    toml::table tbl;
    try {
        tbl = toml::parse(text, file_name);
    } catch (const toml::parse_error& err) {
        problems.push_back(located(file_name, err.source(), std::string(err.description())));
        return tl::unexpected(problems);
    }
    Parser(file_name, problems).root(tbl, cfg);

    cfg.profiles = profiles::Catalog::builtin();
    for (const auto& dir : cfg.gateway.profile_dirs) cfg.profiles.add_folder(dir, problems);
    cross_check(cfg, problems);
    if (!problems.empty()) {
        // In file order, as an engineer fixes them; problems of other files (profiles) first.
        auto line_of = [&](const std::string& p) -> long {
            if (p.compare(0, file_name.size() + 1, file_name + ":") != 0) return -1;
            return std::strtol(p.c_str() + file_name.size() + 1, nullptr, 10);
        };
        std::stable_sort(problems.begin(), problems.end(),
                         [&](const auto& a, const auto& b) { return line_of(a) < line_of(b); });
        return tl::unexpected(problems);
    }
    return cfg;
}

tl::expected<Config, Problems> load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return tl::unexpected(Problems{path + ":0: cannot open the file"});
    std::stringstream buf;
    buf << in.rdbuf();
    return parse(buf.str(), path);
}

}  // namespace sealwatch::config
