#include "sim/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <toml++/toml.h>

#include "common/problem_log.hpp"
#include "common/table_reader.hpp"
#include "common/text.hpp"
#include "common/toml_document.hpp"
#include "dlt645/frame.hpp"
#include "profiles/catalog.hpp"
#include "sim/duration.hpp"

namespace sealwatch::sim {

namespace {

using Need = TableReader::Need;

// A duration: "10s", "5m", "1h30m", or a number of seconds.
std::optional<double> duration(TableReader& r, std::string_view key, Need need = Need::optional) {
    const toml::node* node = r.node(key, need);
    if (!node) return std::nullopt;
    if (auto s = node->value_exact<std::string>()) {
        if (auto d = parse_duration(*s)) return *d;
        r.problem(key, r.name(key) + ": '" + *s +
                           "' is not a duration (e.g. \"90s\", \"5m\", \"1h30m\")");
        return std::nullopt;
    }
    if (auto v = finite_number(*node); v && *v >= 0) return *v;
    r.problem(key, r.name(key) + " must be a duration (e.g. \"5m\")");
    return std::nullopt;
}

// One number for all three phases, or an array of three.
std::optional<std::array<double, 3>> per_phase(TableReader& r, std::string_view key) {
    const toml::node* node = r.node(key);
    if (!node) return std::nullopt;
    if (auto v = finite_number(*node)) return std::array<double, 3>{*v, *v, *v};
    if (const auto* arr = node->as_array(); arr && arr->size() == 3) {
        std::array<double, 3> out{};
        size_t numbers = 0;
        for (const auto& item : *arr)
            if (auto v = finite_number(item)) out[numbers++] = *v;
        if (numbers == 3) return out;
    }
    r.problem(key, r.name(key) + " must be a number or 3 numbers");
    return std::nullopt;
}

std::optional<char> parse_parity(std::string_view text) {
    if (text == "N" || text == "none") return 'N';
    if (text == "E" || text == "even") return 'E';
    if (text == "O" || text == "odd") return 'O';
    return std::nullopt;
}

void read_sim(const toml::table& t, ProblemLog& log, Scenario& out) {
    TableReader r(t, "[sim]", log);
    if (auto v = r.number("speed")) {
        if (*v > 0)
            out.speed = *v;
        else
            r.problem("speed", r.name("speed") + " must be > 0");
    }
    if (auto v = r.integer("seed", 0, INT64_MAX)) out.seed = static_cast<uint64_t>(*v);
}

void read_listener(const toml::table& t, ProblemLog& log, Scenario& out) {
    TableReader r(t, "[[listener]]", log);
    ListenerSpec l;
    l.line = r.line();
    l.id = r.id("id").value_or("");
    const bool tcp = r.has("tcp");
    const bool rtu = r.has("rtu");
    if (tcp == rtu)
        r.problem_here("listener needs exactly one of tcp = \"HOST:PORT\" or rtu = \"DEVICE\"");
    if (auto v = r.string("tcp"); v && !rtu) {
        l.kind = ListenerSpec::Kind::tcp;
        if (auto hp = parse_host_port(*v)) {
            l.host = hp->first;
            l.port = hp->second;
        } else {
            r.problem("tcp", r.name("tcp") + " must be \"HOST:PORT\"");
        }
    }
    if (auto v = r.string("rtu"); v && !tcp) {
        l.kind = ListenerSpec::Kind::rtu;
        l.device = *v;
    }
    if (auto v = r.string("framing")) {
        if (*v == "rtu" && tcp && !rtu)
            l.rtu_over_tcp = true;
        else if (*v != "tcp" || !tcp)
            r.problem("framing", r.name("framing") +
                                     " must be \"rtu\" (Modbus RTU frames over TCP, as a DTU "
                                     "carries them) or \"tcp\" (Modbus TCP), on a tcp listener");
    }
    if (auto v = r.string("protocol")) {
        if (*v == profiles::to_string(profiles::Protocol::dlt645)) {
            l.protocol = profiles::Protocol::dlt645;
            // The standard's serial default; meters vary, so each may be given.
            l.baud = 2400;
            l.parity = 'E';
        } else if (*v != profiles::to_string(profiles::Protocol::modbus)) {
            r.problem("protocol", r.name("protocol") + " must be \"modbus\" or \"dlt645\"");
        }
    }
    if (l.rtu_over_tcp && l.protocol == profiles::Protocol::dlt645)
        r.problem("framing", r.name("framing") +
                                 " is for Modbus listeners: DL/T 645 frames are the same on "
                                 "every line");
    if (tcp && !rtu) {
        for (auto key : {"baud", "parity", "data_bits", "stop_bits"})
            if (r.has(key)) r.reject(key, r.name(key) + " applies to rtu listeners only");
    } else {
        if (auto v = r.integer("baud", 300, 4000000)) l.baud = static_cast<int>(*v);
        if (auto v = r.string("parity")) {
            if (auto p = parse_parity(*v))
                l.parity = *p;
            else
                r.problem("parity", r.name("parity") + " must be \"N\", \"E\" or \"O\"");
        }
        if (auto v = r.integer("data_bits", 5, 8)) l.data_bits = static_cast<int>(*v);
        if (auto v = r.integer("stop_bits", 1, 2)) l.stop_bits = static_cast<int>(*v);
    }
    out.listeners.push_back(std::move(l));
}

void read_segment(const toml::table& t, ProblemLog& log, MeterSpec& m) {
    TableReader r(t, "a program segment", log);
    const size_t before = log.size();
    Segment s;
    if (!r.has("at")) r.problem_here("program segment needs at = \"...\"");
    if (auto v = duration(r, "at")) s.at = *v;
    const bool step = r.has("p_w");
    const bool ramp = r.has("ramp_to");
    const auto value = r.number(step ? "p_w" : "ramp_to");
    if (step == ramp) {
        r.problem_here("program segment needs exactly one of p_w or ramp_to");
        for (auto key : {"p_w", "ramp_to", "over"}) (void)r.node(key);  // known, not unknown
    } else if (step) {
        if (r.has("over")) r.reject("over", "over goes with ramp_to, not p_w");
    } else {
        if (!r.has("over")) r.problem_here("ramp_to needs over = \"...\"");
        if (auto d = duration(r, "over")) s.over = *d;
    }
    if (value) s.value = *value;
    if (log.size() == before) m.program.push_back(s);
}

void read_heat(const toml::table& t, ProblemLog& log, MeterSpec& m) {
    TableReader r(t, "a heat", log);
    const size_t before = log.size();
    Heat h;
    if (auto v = duration(r, "start", Need::required)) h.start = *v;
    if (auto v = duration(r, "ramp")) h.ramp = *v;
    if (auto v = r.number("hold_w", Need::required)) h.hold_w = *v;
    if (auto v = duration(r, "hold", Need::required)) h.hold = *v;
    if (auto v = duration(r, "drop")) h.drop = *v;
    if (auto v = duration(r, "gap")) h.gap = *v;
    if (auto v = r.integer("repeat", 0, 1000000)) h.repeat = static_cast<int>(*v);
    if (log.size() != before) return;
    if (h.period() <= 0) {
        r.problem_here("heat needs a non-zero length (ramp + hold + drop + gap)");
        return;
    }
    m.heats.push_back(h);
}

void read_counter_values(TableReader& r, MeterEvent& e) {
    if (auto v = r.number("e_imp_kwh")) e.e_imp_kwh = *v;
    if (auto v = r.number("e_exp_kwh")) e.e_exp_kwh = *v;
}

// swap = { ... } or counter_reset = true / { ... }: something that happens once, at `at`.
void read_meter_event(TableReader& r, const toml::node* swap, const toml::node* reset,
                      MeterSpec& m) {
    const char* what = swap ? "swap" : "counter_reset";
    if (swap && reset) r.problem_here("swap and counter_reset need separate entries");
    for (auto key : {"from", "until", "no_answer", "offline", "corrupt_crc", "exception", "slow_ms",
                     "freeze_power", "report_p_w", "garbage", "wrong_address", "drop_link", "what"})
        if (r.has(key))
            r.reject(key, r.name(key) + " cannot be combined with " + std::string(what));
    MeterEvent e;
    e.line = r.line();
    e.kind = swap ? MeterEvent::Kind::swap : MeterEvent::Kind::counter_reset;
    if (!r.has("at")) r.problem_here(std::string(what) + " needs at = \"...\"");
    const auto when = duration(r, "at");
    if (!when) return;
    e.at = *when;
    if (swap) {
        const auto* st = swap->as_table();
        if (!st) {
            r.problem("swap", "swap must be a table: { serial = N, e_imp_kwh = X }");
            return;
        }
        TableReader sr(*st, "swap", r.log());
        if (auto v = sr.integer("serial", 0, INT64_MAX, Need::required))
            e.serial = static_cast<uint64_t>(*v);
        read_counter_values(sr, e);
    } else if (const auto* rt = reset->as_table()) {
        TableReader rr(*rt, "counter_reset", r.log());
        read_counter_values(rr, e);
    } else if (const auto* b = reset->as_boolean(); !b) {
        r.problem("counter_reset", r.name("counter_reset") + " must be true or false or a table");
        return;
    } else if (!b->get()) {
        return;  // counter_reset = false: nothing happens
    }
    m.events.push_back(e);
}

// meter_event = "meter_cover_opened": the meter's own counter advances at `at`.
void read_count_event(TableReader& r, MeterSpec& m) {
    CountEvent e;
    e.line = r.line();
    for (auto key : {"from", "until", "no_answer", "offline", "corrupt_crc", "exception", "slow_ms",
                     "freeze_power", "report_p_w", "garbage", "wrong_address", "drop_link"})
        if (r.has(key)) r.reject(key, r.name(key) + " cannot be combined with meter_event");
    r.read("meter_event", e.event);
    r.read("what", e.what);
    if (!r.has("at")) r.problem_here("meter_event needs at = \"...\"");
    const auto when = duration(r, "at");
    if (!when) return;
    e.at = *when;
    m.count_events.push_back(std::move(e));
}

void read_fault(const toml::table& t, ProblemLog& log, MeterSpec& m) {
    TableReader r(t, "a fault", log);
    if (r.node("meter_event")) {
        read_count_event(r, m);
        return;
    }
    const toml::node* swap = r.node("swap");
    const toml::node* reset = r.node("counter_reset");
    if (swap || reset) {
        read_meter_event(r, swap, reset, m);
        return;
    }
    Fault f;
    f.line = r.line();
    if (r.has("at")) r.reject("at", "at is for swap and counter_reset; faults use from/until");
    if (auto v = duration(r, "from")) f.from = *v;
    if (auto v = duration(r, "until")) f.until = *v;
    if (f.from >= f.until) r.problem_here("fault window is empty (from >= until)");
    r.read("no_answer", f.no_answer);
    r.read("offline", f.offline);
    r.read("corrupt_crc", f.corrupt);
    r.read("exception", f.exception, 1, 11);
    r.read("slow_ms", f.slow_ms, 0, 600000);
    r.read("freeze_power", f.freeze_power);
    f.report_p_w = r.number("report_p_w");
    r.read("garbage", f.garbage);
    r.read("wrong_address", f.wrong_address);
    r.read("drop_link", f.drop_link);
    if (r.node("what")) r.problem("what", r.name("what") + " goes with meter_event");
    if (f.freeze_power && f.report_p_w)
        r.problem_here("freeze_power and report_p_w need separate entries");
    if (!f.no_answer && !f.offline && !f.corrupt && f.exception == 0 && f.slow_ms == 0 &&
        !f.freeze_power && !f.report_p_w && !f.garbage && !f.wrong_address && !f.drop_link) {
        r.problem_here(
            "fault does nothing: give no_answer, offline, corrupt_crc, exception, "
            "slow_ms, freeze_power, report_p_w, garbage, wrong_address, drop_link, swap, "
            "counter_reset or meter_event");
        return;
    }
    m.faults.push_back(f);
}

void read_meter(const toml::table& t, ProblemLog& log, Scenario& out) {
    TableReader r(t, "[[meter]]", log);
    MeterSpec m;
    m.line = r.line();
    if (r.has("address")) {
        // A DL/T 645 meter: its 12-digit address instead of a unit.
        r.read("address", m.address);
        if (!dlt645::parse_address(m.address))
            r.problem("address", r.name("address") + " must be 12 digits, e.g. \"000012345678\"");
        if (r.has("unit")) r.reject("unit", "a meter has a unit (Modbus) or an address (DL/T 645)");
        r.read("event_family", m.event_family);
    } else {
        if (!r.has("unit"))
            r.problem_here("meter needs a unit (1..247), or an address for DL/T 645");
        if (auto v = r.integer("unit", 1, 247)) m.unit = static_cast<int>(*v);
        if (r.has("event_family"))
            r.reject("event_family", "event_family goes with a DL/T 645 meter's address");
    }
    m.id = r.id("id", Need::optional)
               .value_or(m.address.empty() ? "unit-" + std::to_string(m.unit) : m.address);
    if (!r.has("profile")) r.problem_here("meter needs a profile (e.g. \"eastron-sdm630\")");
    r.read("profile", m.profile);
    if (auto v = r.integer("serial", 0, INT64_MAX)) m.serial = static_cast<uint64_t>(*v);
    if (const toml::node* n = r.node("listener")) {
        const auto* arr = n->as_array();
        if (n->is_string()) {
            m.listeners.push_back(n->as_string()->get());
        } else if (arr && (arr->empty() || arr->is_homogeneous(toml::node_type::string))) {
            for (const auto& item : *arr) m.listeners.push_back(item.as_string()->get());
        } else {
            r.problem("listener", r.name("listener") + " must be an id or a list of ids");
        }
    }
    Electrical& el = m.electrical;
    if (auto v = per_phase(r, "u_v")) el.u_v = *v;
    if (auto v = r.number("f_hz")) el.f_hz = *v;
    if (auto v = r.number("pf")) {
        if (*v > 0 && *v <= 1)
            el.pf = *v;
        else
            r.problem("pf", r.name("pf") + " must be in (0, 1]");
    }
    if (auto v = per_phase(r, "thd_u_pct")) el.thd_u_pct = *v;
    if (auto v = r.number("thd_i_pct")) el.thd_i_pct = *v;
    if (auto v = r.number("thd_i_heat_pct")) el.thd_i_heat_pct = *v;
    if (auto v = per_phase(r, "split")) {
        const bool negative = (*v)[0] < 0 || (*v)[1] < 0 || (*v)[2] < 0;
        if (negative || (*v)[0] + (*v)[1] + (*v)[2] <= 0)
            r.problem("split", r.name("split") + " needs shares >= 0, not all 0");
        else
            el.split = *v;
    }
    if (auto v = r.number("noise_w")) el.noise_w = std::abs(*v);
    if (auto v = r.number("e_imp_kwh")) m.e_imp_kwh = *v;
    if (auto v = r.number("e_exp_kwh")) m.e_exp_kwh = *v;
    for (const auto* seg : r.table_or_tables("program")) read_segment(*seg, log, m);
    for (const auto* h : r.table_or_tables("heat")) read_heat(*h, log, m);
    for (const auto* f : r.table_or_tables("faults")) read_fault(*f, log, m);
    std::stable_sort(m.program.begin(), m.program.end(),
                     [](const Segment& a, const Segment& b) { return a.at < b.at; });
    std::stable_sort(m.events.begin(), m.events.end(),
                     [](const MeterEvent& a, const MeterEvent& b) { return a.at < b.at; });
    std::stable_sort(m.count_events.begin(), m.count_events.end(),
                     [](const CountEvent& a, const CountEvent& b) { return a.at < b.at; });
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
    ProblemLog log{std::string(file_name)};
    auto doc = parse_toml(text, log);
    if (!doc) return tl::unexpected(log.in_file_order());
    Scenario out;
    out.file = std::string(file_name);
    {
        TableReader r(*doc, "the scenario", log);
        if (const auto* t = r.table("sim")) read_sim(*t, log, out);
        for (const auto* t : r.table_or_tables("listener")) read_listener(*t, log, out);
        for (const auto* t : r.table_or_tables("meter")) read_meter(*t, log, out);
    }

    std::set<std::string> ids;
    for (auto& l : out.listeners)
        if (!l.id.empty() && !ids.insert(l.id).second)
            log.add(l.line, "listener id '" + l.id + "' used twice");
    ids.clear();
    for (auto& m : out.meters)
        if (!ids.insert(m.id).second)
            log.add(m.line, "meter id '" + m.id + "' used twice (give each meter an id)");

    if (!log.empty()) return tl::unexpected(log.in_file_order());
    return out;
}

tl::expected<Scenario, Problems> load_scenario(const std::string& path) {
    ProblemLog log(path);
    auto text = read_toml_file(path, log);
    if (!text) return tl::unexpected(log.in_file_order());
    return parse_scenario(*text, path);
}

namespace {

// What only a DL/T 645 meter may have: faults of its line, counted events, an event family;
// and those must exist in its profile.
template <typename At>
void check_dlt645_meter(const MeterSpec& m, const profiles::Profile& profile, At&& at) {
    if (profile.protocol != profiles::Protocol::dlt645) {
        for (const Fault& f : m.faults)
            if (f.garbage || f.wrong_address)
                at(f.line, "garbage and wrong_address are faults of DL/T 645 meters");
        for (const CountEvent& e : m.count_events)
            at(e.line, "meter_event needs a DL/T 645 meter (its own event counters)");
        return;
    }
    const auto families = profile.identifiers.families();
    if (!m.event_family.empty() &&
        std::find(families.begin(), families.end(), m.event_family) == families.end())
        at(m.line, "meter '" + m.id + "': profile '" + profile.id + "' has no event family '" +
                       m.event_family + "'");
    const std::string family =
        m.event_family.empty() && !families.empty() ? families.front() : m.event_family;
    for (const CountEvent& e : m.count_events)
        if (!find_event_count(profile.identifiers, family, e.event, e.what))
            at(e.line, "meter '" + m.id + "': profile '" + profile.id + "' counts no '" + e.event +
                           (e.what.empty() ? "" : "' / '" + e.what) + "' in family '" + family +
                           "'");
}

}  // namespace

const dlt645::EventCount* find_event_count(const dlt645::DataMap& map, std::string_view family,
                                           std::string_view event, std::string_view what) {
    for (const auto& c : map.event_counts)
        if ((c.family.empty() || c.family == family) && c.event == event &&
            (what.empty() || c.what == what))
            return &c;
    return nullptr;
}

Problems check_scenario(const Scenario& scenario, const profiles::Catalog& catalog) {
    Problems problems;
    auto at = [&](unsigned line, const std::string& msg) {
        problems.push_back(located(scenario.file, line, msg));
    };
    if (scenario.listeners.empty())
        problems.push_back(scenario.file +
                           ": no listener: give --tcp/--rtu or a [[listener]] in the file");
    // (listener, unit or address) -> meter
    std::map<std::pair<std::string, std::string>, std::string> taken;
    for (auto& m : scenario.meters) {
        const profiles::Profile* profile = m.profile.empty() ? nullptr : catalog.find(m.profile);
        if (!m.profile.empty() && !profile) {
            std::string known;
            for (auto& id : catalog.ids()) known += (known.empty() ? "" : ", ") + id;
            at(m.line, "unknown profile '" + m.profile + "' (known: " + known + ")");
        }
        const auto protocol =
            m.address.empty() ? profiles::Protocol::modbus : profiles::Protocol::dlt645;
        if (profile && profile->protocol != protocol)
            at(m.line, "meter '" + m.id + "': profile '" + m.profile + "' is a " +
                           std::string(profiles::to_string(profile->protocol)) + " profile, " +
                           (m.address.empty() ? "which needs an address, not a unit"
                                              : "which needs a unit, not an address"));
        if (profile) check_dlt645_meter(m, *profile, at);
        std::vector<std::string> where = m.listeners;
        if (where.empty())
            for (auto& l : scenario.listeners)
                if (l.protocol == protocol) where.push_back(l.id);
        if (where.empty())
            at(m.line, "meter '" + m.id + "': no " + std::string(profiles::to_string(protocol)) +
                           " listener serves it");
        for (auto& lid : where) {
            auto l = std::find_if(scenario.listeners.begin(), scenario.listeners.end(),
                                  [&](const ListenerSpec& x) { return x.id == lid; });
            if (l == scenario.listeners.end()) {
                at(m.line,
                   "meter '" + m.id + "' names listener '" + lid + "', which is not defined");
                continue;
            }
            if (l->protocol != protocol)
                at(m.line, "meter '" + m.id + "' speaks " +
                               std::string(profiles::to_string(protocol)) + ", listener '" + lid +
                               "' " + std::string(profiles::to_string(l->protocol)));
            const std::string slot =
                m.address.empty() ? "unit " + std::to_string(m.unit) : "address " + m.address;
            auto [it, fresh] = taken.emplace(std::make_pair(lid, slot), m.id);
            if (!fresh)
                at(m.line, "meter '" + m.id + "' and meter '" + it->second + "' both use " + slot +
                               " on listener '" + lid + "'");
        }
    }
    return problems;
}

}  // namespace sealwatch::sim
