#include "detect/detector.hpp"

#include <algorithm>

#include "common/physical_range.hpp"
#include "detect/evidence.hpp"
#include "detect/rules/registry.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

using config::AssetState;

namespace {

constexpr size_t kPw = quantity_index("p_w"), kPl1 = quantity_index("p_l1_w"),
                 kPl2 = quantity_index("p_l2_w"), kPl3 = quantity_index("p_l3_w");
constexpr size_t kImp = quantity_index("e_imp_kwh"), kExp = quantity_index("e_exp_kwh");
constexpr size_t kThd1 = quantity_index("thd_i_l1_pct"), kThd2 = quantity_index("thd_i_l2_pct"),
                 kThd3 = quantity_index("thd_i_l3_pct");
constexpr const char* kFormat = "sealwatch-detector/1";

bool has(double v) {
    return !std::isnan(v);
}

}  // namespace

// The core: keeps the site (clock, meters' registers and draw, assets' draw) up to date and
// hands every input to the rules, in registry order.
struct Detector::Impl {
    Site site;
    std::vector<std::unique_ptr<Rule>> rules;

    Impl(const config::Config& c, TimeZone z) : site(c, std::move(z)), rules(make_rules(site)) {}

    // ---- time --------------------------------------------------------------------------------

    void advance(WallMs t, Events& out) {
        auto& s = site;
        if (s.last_alive != Site::kNever && t - s.last_alive > s.gw_gap)
            s.resume = t;  // the gateway was away: nobody is to blame for the silence
        if (s.last_alive == Site::kNever) s.resume = t;
        s.last_alive = std::max(s.last_alive, t);
        s.now = std::max(s.now, t);
        if (s.now > s.next_deadline) fire_timers(out);
    }

    void fire_timers(Events& out) {
        WallMs next = std::numeric_limits<WallMs>::max();
        // Events of one scan in deadline order, so the output stays in data-time order.
        Due due;
        for (auto& rule : rules) rule->due(due, next);
        std::stable_sort(due.begin(), due.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; });
        for (auto& [dl, e] : due) out.push_back(std::move(e));
        site.next_deadline = next;
    }

    // ---- readings ----------------------------------------------------------------------------

    void sample(int mi, WallMs ts, const Sample& s, Events& out) {
        advance(ts, out);
        auto& m = site.meter(mi);
        AssetTrack* a = site.asset_of(m);
        const bool export_ok = a && a->export_allowed;
        MeterReading r{.index = mi,
                       .meter = m,
                       .asset = a,
                       .state = a ? a->state : AssetState::operating,
                       .export_ok = export_ok,
                       .ts = ts,
                       .s = s,
                       .gap = m.seen && ts - m.last_ts > m.silence,
                       .imp = {},
                       .exp = {}};
        for (auto& rule : rules) rule->before_registers(r, out);

        // Energy registers: the witness that cannot be hidden.
        const auto& d = site.d;
        if (has(s.v[kImp]))
            r.imp = m.imp.update(s.v[kImp], ts, d.rollback_tolerance_kwh, d.max_power_w);
        if (has(s.v[kExp]))
            r.exp = m.exp.update(s.v[kExp], ts, d.rollback_tolerance_kwh, d.max_power_w);
        const auto &ri = r.imp, &rx = r.exp;
        r.adv_kwh = (ri.advanced ? ri.delta : 0) + (!export_ok && rx.advanced ? rx.delta : 0);
        r.adv_from = ri.advanced ? ri.from : (rx.advanced ? rx.from : ts);
        r.adv_span = ts - r.adv_from;
        const bool advanced = ri.advanced || rx.advanced;
        const bool continuous = r.adv_span > 0 && r.adv_span <= m.silence;

        // Draw estimate: per-phase magnitudes see through one reversed CT; |p_w| through all
        // three; the registers stand in where the meter gives no power, and where its power
        // values do not explain what the registers counted (frozen, zeroed, falsified).
        double draw = std::nan("");
        const double pw = s.v[kPw];
        if (!export_ok && has(s.v[kPl1]) && has(s.v[kPl2]) && has(s.v[kPl3])) {
            draw = std::abs(s.v[kPl1]) + std::abs(s.v[kPl2]) + std::abs(s.v[kPl3]);
            r.power_quantity = "p_l1_w+p_l2_w+p_l3_w";
        } else if (has(pw)) {
            draw = export_ok ? pw : std::abs(pw);
            r.power_quantity = "p_w";
        }
        r.energy =
            m.energy.update(ts, draw, continuous ? r.adv_kwh : 0,
                            !r.gap && (!advanced || continuous), m.interval, d.counter_floor_kwh);
        if (!has(draw) && advanced && continuous)
            draw = r.adv_kwh * kKwhMsToW / static_cast<double>(r.adv_span);
        else if (r.energy.unexplained && has(r.energy.register_w))
            draw = std::max(draw, r.energy.register_w);
        m.draw = draw;
        m.p_net = pw;
        if (!has(m.p_net) && ri.advanced && continuous)
            m.p_net = ri.delta * kKwhMsToW / static_cast<double>(r.adv_span);
        m.seen = true;
        m.last_ts = ts;

        if (a) {
            int n = 0;
            double sum = 0;
            for (size_t q : {kThd1, kThd2, kThd3})
                if (has(s.v[q])) sum += s.v[q], ++n;
            if (n) r.thd = sum / n;
            r.asset_w = a->draw = site.asset_draw(*a);
        }
        for (auto& rule : rules) rule->on_reading(r, out);
        site.wake_at(site.silence_deadline(m));
    }
};

// ---- public surface ------------------------------------------------------------------------

Detector::Detector(const config::Config& cfg, TimeZone tz)
    : impl_(std::make_unique<Impl>(cfg, std::move(tz))) {}
Detector::~Detector() = default;

int Detector::meter_index(std::string_view id) const {
    return impl_->site.index(id);
}
int Detector::meter_count() const {
    return static_cast<int>(impl_->site.meters.size());
}
const std::string& Detector::meter_id(int index) const {
    return impl_->site.meters.at(static_cast<size_t>(index)).id;
}

void Detector::on_sample(int meter, WallMs ts, const Sample& sample, std::vector<Event>& out) {
    if (meter < 0 || static_cast<size_t>(meter) >= impl_->site.meters.size()) return;
    impl_->sample(meter, ts, sample, out);
}

bool Detector::on_reading(const Reading& r, std::vector<Event>& out) {
    int mi = impl_->site.index(r.meter);
    if (mi < 0) return false;
    Sample s;
    // What no meter can measure is no reading (the poller drops it already; a caller feeding
    // readings directly gets the same): a non-finite or absurd value counts as absent.
    for (const auto& v : r.values)
        if (v.quantity < s.v.size() && within_physical_range(v.quantity, v.value))
            s.v[v.quantity] = v.value;
    if (r.serial) s.serial = *r.serial;
    impl_->sample(mi, r.wall_ms, s, out);
    return true;
}

bool Detector::on_health(const HealthChange& c, std::vector<Event>& out) {
    int mi = impl_->site.index(c.meter);
    if (mi < 0) return false;
    impl_->advance(c.wall_ms, out);
    for (auto& rule : impl_->rules) rule->on_health(mi, c, out);
    return true;
}

bool Detector::on_event_counts(const EventCounts& counts, std::vector<Event>& out) {
    int mi = impl_->site.index(counts.meter);
    if (mi < 0) return false;
    impl_->advance(counts.wall_ms, out);
    for (auto& rule : impl_->rules) rule->on_event_counts(mi, counts, out);
    return true;
}

void Detector::on_time(WallMs now, std::vector<Event>& out) {
    impl_->advance(now, out);
}

bool Detector::set_asset_state(std::string_view asset, config::AssetState state, WallMs ts,
                               std::string_view by, std::string_view note,
                               std::vector<Event>& out) {
    auto& site = impl_->site;
    auto it = std::find_if(site.assets.begin(), site.assets.end(),
                           [&](const auto& a) { return a.cfg->id == asset; });
    if (it == site.assets.end()) return false;
    impl_->advance(ts, out);
    auto& a = *it;
    auto from = a.state;
    if (from == state) return true;
    a.state = state;
    const char* type = "asset_state_changed";
    auto e = make_event(type, EventState::info, severity(type, state), a.cfg->id, "", site.now,
                        site.now, site.make_id(type, a.cfg->id, site.now));
    e.details["by"] = std::string(by);
    e.details["from"] = std::string(config::to_string(from));
    e.details["to"] = std::string(config::to_string(state));
    e.details["note"] = std::string(note);
    out.push_back(std::move(e));
    // Alarms whose premise changed are closed; the new state's rules start afresh.
    for (auto& rule : impl_->rules) rule->on_state_change(a, out);
    return true;
}

double Detector::asset_power(std::string_view asset) const {
    for (const auto& a : impl_->site.assets)
        if (a.cfg->id == asset) return impl_->site.asset_draw(a);
    return std::nan("");
}

std::vector<Event> Detector::open_alarms() const {
    std::vector<Event> out;
    for (const auto& rule : impl_->rules) rule->open_alarms(out);
    return out;
}

// ---- snapshot ------------------------------------------------------------------------------

// The core writes the clock and every meter heard of (time, registers, serial, draw); each
// rule adds its part to a meter's entry, an asset's entry or "balances".
nlohmann::json Detector::snapshot() const {
    const auto& site = impl_->site;
    ojson j;
    j["format"] = kFormat;
    j["now"] = site.now;
    j["last_alive"] = site.last_alive;
    j["resume"] = site.resume;
    ojson ms = ojson::object();
    for (const auto& m : site.meters) {
        if (!m.seen && m.serial.empty()) continue;
        ms[m.id] = ojson{{"seen", m.seen},
                         {"last_ts", m.last_ts},
                         {"serial", m.serial},
                         {"imp", m.imp.to_json()},
                         {"exp", m.exp.to_json()},
                         {"draw", has(m.draw) ? ojson(m.draw) : ojson()},
                         {"energy", m.energy.to_json()}};
    }
    j["meters"] = std::move(ms);
    j["assets"] = ojson::object();
    j["balances"] = ojson::object();
    for (const auto& rule : impl_->rules) rule->snapshot(j);
    // nlohmann::json (unordered) for the caller; the content is the same.
    return nlohmann::json::parse(j.dump());
}

bool Detector::restore(const nlohmann::json& j) {
    if (!j.is_object() || j.value("format", "") != kFormat) return false;
    auto fresh = std::make_unique<Impl>(impl_->site.cfg, impl_->site.tz);
    auto& site = fresh->site;
    try {
        site.now = j.at("now").get<WallMs>();
        site.last_alive = j.at("last_alive").get<WallMs>();
        site.resume = j.at("resume").get<WallMs>();
        for (const auto& [id, x] : j.at("meters").items()) {
            int mi = site.index(id);
            if (mi < 0) continue;
            auto& m = site.meter(mi);
            m.seen = x.value("seen", false);
            m.last_ts = x.value("last_ts", WallMs{0});
            m.serial = x.value("serial", std::string());
            m.imp.from_json(x.value("imp", nlohmann::json()));
            m.exp.from_json(x.value("exp", nlohmann::json()));
            m.draw = x.contains("draw") && x["draw"].is_number() ? x["draw"].get<double>()
                                                                 : std::nan("");
            m.energy.from_json(x.value("energy", nlohmann::json()));
        }
        (void)j.at("assets");
        (void)j.at("balances");
        for (auto& rule : fresh->rules) rule->restore(j);
    } catch (const nlohmann::json::exception&) {
        return false;
    }
    site.next_deadline = Site::kNever;
    impl_ = std::move(fresh);
    return true;
}

}  // namespace sealwatch::detect
