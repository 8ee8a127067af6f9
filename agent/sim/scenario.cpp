#include "sim/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "common/text.hpp"
#include "profiles/catalog.hpp"
#include "sim/duration.hpp"

namespace sealwatch::sim {

namespace {

// Collects problems while walking the document, so one run reports all of them.
class Reader {
  public:
    explicit Reader(std::string_view file) : file_(file) {}

    void problem(const toml::source_region& where, std::string_view msg) {
        problems_.push_back(located(file_, where, msg));
    }
    void problem(unsigned line, std::string_view msg) {
        problems_.push_back(located(file_, line, msg));
    }
    Problems& problems() { return problems_; }

    // Unknown keys are errors: a typo must not silently become a default.
    void only_keys(const toml::table& table, std::initializer_list<std::string_view> allowed,
                   std::string_view where) {
        for (auto&& [key, node] : table) {
            if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end())
                problem(key.source(),
                        "unknown key '" + std::string(key.str()) + "' in " + std::string(where));
        }
    }

    std::optional<double> number(const toml::node& node, std::string_view what) {
        if (auto v = node.value<double>()) return *v;  // integers convert too
        problem(node.source(), std::string(what) + " must be a number");
        return std::nullopt;
    }

    std::optional<std::string> string(const toml::node& node, std::string_view what) {
        if (auto v = node.value<std::string>()) return *v;
        problem(node.source(), std::string(what) + " must be a string");
        return std::nullopt;
    }

    std::optional<int64_t> integer(const toml::node& node, std::string_view what, int64_t lo,
                                   int64_t hi) {
        auto v = node.value_exact<int64_t>();
        if (!v) {
            problem(node.source(), std::string(what) + " must be an integer");
            return std::nullopt;
        }
        if (*v < lo || *v > hi) {
            problem(node.source(), std::string(what) + " must be in " + std::to_string(lo) + ".." +
                                       std::to_string(hi));
            return std::nullopt;
        }
        return *v;
    }

    std::optional<bool> boolean(const toml::node& node, std::string_view what) {
        if (auto v = node.value_exact<bool>()) return *v;
        problem(node.source(), std::string(what) + " must be true or false");
        return std::nullopt;
    }

    // A duration: "10s", "5m", "1h30m", or a number of seconds.
    std::optional<double> duration(const toml::node& node, std::string_view what) {
        if (auto s = node.value_exact<std::string>()) {
            if (auto d = parse_duration(*s)) return *d;
            problem(node.source(), std::string(what) + ": '" + *s +
                                       "' is not a duration (e.g. \"90s\", \"5m\", \"1h30m\")");
            return std::nullopt;
        }
        if (auto v = node.value<double>()) {
            if (*v >= 0) return *v;
        }
        problem(node.source(), std::string(what) + " must be a duration (e.g. \"5m\")");
        return std::nullopt;
    }

    // One number for all three phases, or an array of three.
    std::optional<std::array<double, 3>> per_phase(const toml::node& node, std::string_view what) {
        if (auto arr = node.as_array()) {
            if (arr->size() != 3) {
                problem(node.source(), std::string(what) + " must be a number or 3 numbers");
                return std::nullopt;
            }
            std::array<double, 3> out{};
            for (size_t i = 0; i < 3; ++i) {
                auto v = number((*arr)[i], what);
                if (!v) return std::nullopt;
                out[i] = *v;
            }
            return out;
        }
        auto v = number(node, what);
        if (!v) return std::nullopt;
        return std::array<double, 3>{*v, *v, *v};
    }

    // Tables of an array (array of tables or inline tables); a single table counts as one.
    std::vector<const toml::table*> tables(const toml::node& node, std::string_view what) {
        std::vector<const toml::table*> out;
        if (auto t = node.as_table()) {
            out.push_back(t);
        } else if (auto arr = node.as_array()) {
            for (auto&& item : *arr) {
                if (auto t2 = item.as_table())
                    out.push_back(t2);
                else
                    problem(item.source(), std::string(what) + " entries must be tables");
            }
        } else {
            problem(node.source(), std::string(what) + " must be a table or an array of tables");
        }
        return out;
    }

  private:
    std::string file_;
    Problems problems_;
};

unsigned line_of(const toml::node& node) {
    return node.source().begin.line;
}

std::optional<char> parse_parity(std::string_view text) {
    if (text == "N" || text == "none") return 'N';
    if (text == "E" || text == "even") return 'E';
    if (text == "O" || text == "odd") return 'O';
    return std::nullopt;
}

void read_sim(Reader& r, const toml::table& t, Scenario& out) {
    r.only_keys(t, {"speed", "seed"}, "[sim]");
    if (auto n = t.get("speed")) {
        if (auto v = r.number(*n, "speed")) {
            if (*v > 0)
                out.speed = *v;
            else
                r.problem(n->source(), "speed must be > 0");
        }
    }
    if (auto n = t.get("seed")) {
        if (auto v = r.integer(*n, "seed", 0, INT64_MAX)) out.seed = static_cast<uint64_t>(*v);
    }
}

void read_listener(Reader& r, const toml::table& t, Scenario& out) {
    r.only_keys(t, {"id", "tcp", "rtu", "baud", "parity", "data_bits", "stop_bits"},
                "[[listener]]");
    ListenerSpec l;
    l.line = line_of(t);
    if (auto n = t.get("id")) {
        if (auto v = r.string(*n, "id")) {
            if (!is_valid_id(*v)) r.problem(n->source(), "id must match [A-Za-z0-9_-]{1,64}");
            l.id = *v;
        }
    } else {
        r.problem(t.source(), "listener needs an id");
    }
    auto tcp = t.get("tcp");
    auto rtu = t.get("rtu");
    if ((tcp != nullptr) == (rtu != nullptr)) {
        r.problem(t.source(),
                  "listener needs exactly one of tcp = \"HOST:PORT\" or rtu = \"DEVICE\"");
    } else if (tcp) {
        l.kind = ListenerSpec::Kind::tcp;
        if (auto v = r.string(*tcp, "tcp")) {
            if (auto hp = parse_host_port(*v)) {
                l.host = hp->first;
                l.port = hp->second;
            } else {
                r.problem(tcp->source(), "tcp must be \"HOST:PORT\"");
            }
        }
        for (auto key : {"baud", "parity", "data_bits", "stop_bits"})
            if (auto n = t.get(key))
                r.problem(n->source(), std::string(key) + " applies to rtu listeners only");
    } else {
        l.kind = ListenerSpec::Kind::rtu;
        if (auto v = r.string(*rtu, "rtu")) l.device = *v;
        if (auto n = t.get("baud"))
            if (auto v = r.integer(*n, "baud", 300, 4000000)) l.baud = static_cast<int>(*v);
        if (auto n = t.get("parity")) {
            if (auto v = r.string(*n, "parity")) {
                if (auto p = parse_parity(*v))
                    l.parity = *p;
                else
                    r.problem(n->source(), "parity must be \"N\", \"E\" or \"O\"");
            }
        }
        if (auto n = t.get("data_bits"))
            if (auto v = r.integer(*n, "data_bits", 5, 8)) l.data_bits = static_cast<int>(*v);
        if (auto n = t.get("stop_bits"))
            if (auto v = r.integer(*n, "stop_bits", 1, 2)) l.stop_bits = static_cast<int>(*v);
    }
    out.listeners.push_back(std::move(l));
}

void read_segment(Reader& r, const toml::table& t, MeterSpec& m) {
    r.only_keys(t, {"at", "p_w", "ramp_to", "over"}, "a program segment");
    Segment s;
    bool ok = true;
    if (auto n = t.get("at")) {
        auto v = r.duration(*n, "at");
        ok = ok && v;
        if (v) s.at = *v;
    } else {
        r.problem(t.source(), "program segment needs at = \"...\"");
        ok = false;
    }
    auto step = t.get("p_w");
    auto ramp = t.get("ramp_to");
    if ((step != nullptr) == (ramp != nullptr)) {
        r.problem(t.source(), "program segment needs exactly one of p_w or ramp_to");
        return;
    }
    if (step) {
        auto v = r.number(*step, "p_w");
        ok = ok && v;
        if (v) s.value = *v;
        if (auto n = t.get("over")) r.problem(n->source(), "over goes with ramp_to, not p_w");
    } else {
        auto v = r.number(*ramp, "ramp_to");
        ok = ok && v;
        if (v) s.value = *v;
        if (auto n = t.get("over")) {
            auto d = r.duration(*n, "over");
            ok = ok && d;
            if (d) s.over = *d;
        } else {
            r.problem(t.source(), "ramp_to needs over = \"...\"");
            ok = false;
        }
    }
    if (ok) m.program.push_back(s);
}

void read_heat(Reader& r, const toml::table& t, MeterSpec& m) {
    r.only_keys(t, {"start", "ramp", "hold_w", "hold", "drop", "gap", "repeat"}, "heat");
    Heat h;
    bool ok = true;
    auto need_duration = [&](const char* key, double& field, bool required) {
        if (auto n = t.get(key)) {
            auto v = r.duration(*n, key);
            ok = ok && v;
            if (v) field = *v;
        } else if (required) {
            r.problem(t.source(), std::string("heat needs ") + key);
            ok = false;
        }
    };
    need_duration("start", h.start, true);
    need_duration("ramp", h.ramp, false);
    need_duration("hold", h.hold, true);
    need_duration("drop", h.drop, false);
    need_duration("gap", h.gap, false);
    if (auto n = t.get("hold_w")) {
        auto v = r.number(*n, "hold_w");
        ok = ok && v;
        if (v) h.hold_w = *v;
    } else {
        r.problem(t.source(), "heat needs hold_w");
        ok = false;
    }
    if (auto n = t.get("repeat")) {
        auto v = r.integer(*n, "repeat", 0, 1000000);
        ok = ok && v;
        if (v) h.repeat = static_cast<int>(*v);
    }
    if (ok && h.period() <= 0) {
        r.problem(t.source(), "heat needs a non-zero length (ramp + hold + drop + gap)");
        ok = false;
    }
    if (ok) m.heats.push_back(h);
}

void read_counter_values(Reader& r, const toml::table& t, MeterEvent& e) {
    if (auto n = t.get("e_imp_kwh"))
        if (auto v = r.number(*n, "e_imp_kwh")) e.e_imp_kwh = *v;
    if (auto n = t.get("e_exp_kwh"))
        if (auto v = r.number(*n, "e_exp_kwh")) e.e_exp_kwh = *v;
}

void read_fault(Reader& r, const toml::table& t, MeterSpec& m) {
    r.only_keys(t,
                {"from", "until", "at", "no_answer", "offline", "corrupt_crc", "exception",
                 "slow_ms", "swap", "counter_reset"},
                "a fault");
    const unsigned line = line_of(t);
    auto swap = t.get("swap");
    auto reset = t.get("counter_reset");
    if (swap || reset) {
        // One-shot events: they happen at one moment, not over a window.
        if (swap && reset) r.problem(t.source(), "swap and counter_reset need separate entries");
        for (auto key :
             {"from", "until", "no_answer", "offline", "corrupt_crc", "exception", "slow_ms"})
            if (auto n = t.get(key))
                r.problem(n->source(), std::string(key) + " cannot be combined with " +
                                           (swap ? "swap" : "counter_reset"));
        MeterEvent e;
        e.line = line;
        e.kind = swap ? MeterEvent::Kind::swap : MeterEvent::Kind::counter_reset;
        auto at = t.get("at");
        if (!at) {
            r.problem(t.source(),
                      std::string(swap ? "swap" : "counter_reset") + " needs at = \"...\"");
            return;
        }
        auto when = r.duration(*at, "at");
        if (!when) return;
        e.at = *when;
        if (swap) {
            auto st = swap->as_table();
            if (!st) {
                r.problem(swap->source(), "swap must be a table: { serial = N, e_imp_kwh = X }");
                return;
            }
            r.only_keys(*st, {"serial", "e_imp_kwh", "e_exp_kwh"}, "swap");
            if (auto n = st->get("serial")) {
                if (auto v = r.integer(*n, "serial", 0, INT64_MAX))
                    e.serial = static_cast<uint64_t>(*v);
            } else {
                r.problem(swap->source(), "swap needs the new serial");
            }
            read_counter_values(r, *st, e);
        } else if (auto rt = reset->as_table()) {
            r.only_keys(*rt, {"e_imp_kwh", "e_exp_kwh"}, "counter_reset");
            read_counter_values(r, *rt, e);
        } else if (auto b = r.boolean(*reset, "counter_reset"); b && !*b) {
            return;  // counter_reset = false: nothing happens
        }
        m.events.push_back(e);
        return;
    }

    Fault f;
    f.line = line;
    if (auto n = t.get("at"))
        r.problem(n->source(), "at is for swap and counter_reset; faults use from/until");
    if (auto n = t.get("from"))
        if (auto v = r.duration(*n, "from")) f.from = *v;
    if (auto n = t.get("until"))
        if (auto v = r.duration(*n, "until")) f.until = *v;
    if (f.from >= f.until) r.problem(t.source(), "fault window is empty (from >= until)");
    if (auto n = t.get("no_answer"))
        if (auto v = r.boolean(*n, "no_answer")) f.no_answer = *v;
    if (auto n = t.get("offline"))
        if (auto v = r.boolean(*n, "offline")) f.offline = *v;
    if (auto n = t.get("corrupt_crc"))
        if (auto v = r.boolean(*n, "corrupt_crc")) f.corrupt = *v;
    if (auto n = t.get("exception"))
        if (auto v = r.integer(*n, "exception", 1, 11)) f.exception = static_cast<int>(*v);
    if (auto n = t.get("slow_ms"))
        if (auto v = r.integer(*n, "slow_ms", 0, 600000)) f.slow_ms = static_cast<int>(*v);
    if (!f.no_answer && !f.offline && !f.corrupt && f.exception == 0 && f.slow_ms == 0) {
        r.problem(t.source(),
                  "fault does nothing: give no_answer, offline, corrupt_crc, exception, "
                  "slow_ms, swap or counter_reset");
        return;
    }
    m.faults.push_back(f);
}

void read_meter(Reader& r, const toml::table& t, Scenario& out) {
    r.only_keys(t,
                {"id", "unit", "profile", "serial", "listener", "u_v", "f_hz", "pf", "thd_u_pct",
                 "thd_i_pct", "thd_i_heat_pct", "split", "noise_w", "e_imp_kwh", "e_exp_kwh",
                 "program", "heat", "faults"},
                "[[meter]]");
    MeterSpec m;
    m.line = line_of(t);
    if (auto n = t.get("unit")) {
        if (auto v = r.integer(*n, "unit", 1, 247)) m.unit = static_cast<int>(*v);
    } else {
        r.problem(t.source(), "meter needs a unit (1..247)");
    }
    if (auto n = t.get("id")) {
        if (auto v = r.string(*n, "id")) {
            if (!is_valid_id(*v)) r.problem(n->source(), "id must match [A-Za-z0-9_-]{1,64}");
            m.id = *v;
        }
    } else {
        m.id = "unit-" + std::to_string(m.unit);
    }
    if (auto n = t.get("profile")) {
        if (auto v = r.string(*n, "profile")) m.profile = *v;
    } else {
        r.problem(t.source(), "meter needs a profile (e.g. \"eastron-sdm630\")");
    }
    if (auto n = t.get("serial"))
        if (auto v = r.integer(*n, "serial", 0, INT64_MAX)) m.serial = static_cast<uint64_t>(*v);
    if (auto n = t.get("listener")) {
        if (auto s = n->value_exact<std::string>()) {
            m.listeners.push_back(*s);
        } else if (auto arr = n->as_array()) {
            for (auto&& item : *arr)
                if (auto v = r.string(item, "listener")) m.listeners.push_back(*v);
        } else {
            r.problem(n->source(), "listener must be an id or a list of ids");
        }
    }
    Electrical& el = m.electrical;
    if (auto n = t.get("u_v"))
        if (auto v = r.per_phase(*n, "u_v")) el.u_v = *v;
    if (auto n = t.get("f_hz"))
        if (auto v = r.number(*n, "f_hz")) el.f_hz = *v;
    if (auto n = t.get("pf")) {
        if (auto v = r.number(*n, "pf")) {
            if (*v > 0 && *v <= 1)
                el.pf = *v;
            else
                r.problem(n->source(), "pf must be in (0, 1]");
        }
    }
    if (auto n = t.get("thd_u_pct"))
        if (auto v = r.per_phase(*n, "thd_u_pct")) el.thd_u_pct = *v;
    if (auto n = t.get("thd_i_pct"))
        if (auto v = r.number(*n, "thd_i_pct")) el.thd_i_pct = *v;
    if (auto n = t.get("thd_i_heat_pct"))
        if (auto v = r.number(*n, "thd_i_heat_pct")) el.thd_i_heat_pct = *v;
    if (auto n = t.get("split")) {
        if (auto v = r.per_phase(*n, "split")) {
            bool negative = (*v)[0] < 0 || (*v)[1] < 0 || (*v)[2] < 0;
            if (negative || (*v)[0] + (*v)[1] + (*v)[2] <= 0)
                r.problem(n->source(), "split needs shares >= 0, not all 0");
            else
                el.split = *v;
        }
    }
    if (auto n = t.get("noise_w"))
        if (auto v = r.number(*n, "noise_w")) el.noise_w = std::abs(*v);
    if (auto n = t.get("e_imp_kwh"))
        if (auto v = r.number(*n, "e_imp_kwh")) m.e_imp_kwh = *v;
    if (auto n = t.get("e_exp_kwh"))
        if (auto v = r.number(*n, "e_exp_kwh")) m.e_exp_kwh = *v;
    if (auto n = t.get("program"))
        for (auto seg : r.tables(*n, "program")) read_segment(r, *seg, m);
    if (auto n = t.get("heat"))
        for (auto h : r.tables(*n, "heat")) read_heat(r, *h, m);
    if (auto n = t.get("faults"))
        for (auto f : r.tables(*n, "faults")) read_fault(r, *f, m);
    std::stable_sort(m.program.begin(), m.program.end(),
                     [](const Segment& a, const Segment& b) { return a.at < b.at; });
    std::stable_sort(m.events.begin(), m.events.end(),
                     [](const MeterEvent& a, const MeterEvent& b) { return a.at < b.at; });
    out.meters.push_back(std::move(m));
}

}  // namespace

std::optional<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text) {
    std::string host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return std::nullopt;
    return std::make_pair(host, static_cast<uint16_t>(value));
}

tl::expected<Scenario, Problems> parse_scenario(std::string_view text, std::string_view file_name) {
    Reader r(file_name);
    toml::table doc;
#if TOML_EXCEPTIONS
    try {
        doc = toml::parse(text, file_name);
    } catch (const toml::parse_error& err) {
        r.problem(err.source(), err.description());
        return tl::unexpected(r.problems());
    }
#else
    auto parsed = toml::parse(text, file_name);
    if (!parsed) {
        r.problem(parsed.error().source(), parsed.error().description());
        return tl::unexpected(r.problems());
    }
    doc = std::move(parsed).table();
#endif
    Scenario out;
    out.file = std::string(file_name);
    r.only_keys(doc, {"sim", "listener", "meter"}, "the scenario");
    if (auto n = doc.get("sim")) {
        if (auto t = n->as_table())
            read_sim(r, *t, out);
        else
            r.problem(n->source(), "[sim] must be a table");
    }
    if (auto n = doc.get("listener"))
        for (auto t : r.tables(*n, "listener")) read_listener(r, *t, out);
    if (auto n = doc.get("meter"))
        for (auto t : r.tables(*n, "meter")) read_meter(r, *t, out);

    std::set<std::string> ids;
    for (auto& l : out.listeners)
        if (!l.id.empty() && !ids.insert(l.id).second)
            r.problem(l.line, "listener id '" + l.id + "' used twice");
    ids.clear();
    for (auto& m : out.meters)
        if (!ids.insert(m.id).second)
            r.problem(m.line, "meter id '" + m.id + "' used twice (give each meter an id)");

    if (!r.problems().empty()) return tl::unexpected(r.problems());
    return out;
}

tl::expected<Scenario, Problems> load_scenario(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return tl::unexpected(Problems{path + ": cannot read the file"});
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_scenario(buffer.str(), path);
}

Problems check_scenario(const Scenario& scenario, const profiles::Catalog& catalog) {
    Problems problems;
    auto at = [&](unsigned line, const std::string& msg) {
        problems.push_back(located(scenario.file, line, msg));
    };
    if (scenario.listeners.empty())
        problems.push_back(scenario.file +
                           ": no listener: give --tcp/--rtu or a [[listener]] in the file");
    std::map<std::pair<std::string, int>, std::string> taken;  // (listener, unit) -> meter
    for (auto& m : scenario.meters) {
        if (!m.profile.empty() && !catalog.find(m.profile)) {
            std::string known;
            for (auto& id : catalog.ids()) known += (known.empty() ? "" : ", ") + id;
            at(m.line, "unknown profile '" + m.profile + "' (known: " + known + ")");
        }
        std::vector<std::string> where = m.listeners;
        if (where.empty())
            for (auto& l : scenario.listeners) where.push_back(l.id);
        for (auto& lid : where) {
            bool exists = std::any_of(scenario.listeners.begin(), scenario.listeners.end(),
                                      [&](const ListenerSpec& l) { return l.id == lid; });
            if (!exists) {
                at(m.line,
                   "meter '" + m.id + "' names listener '" + lid + "', which is not defined");
                continue;
            }
            auto [it, fresh] = taken.emplace(std::make_pair(lid, m.unit), m.id);
            if (!fresh)
                at(m.line, "meter '" + m.id + "' and meter '" + it->second + "' both use unit " +
                               std::to_string(m.unit) + " on listener '" + lid + "'");
        }
    }
    return problems;
}

}  // namespace sealwatch::sim
