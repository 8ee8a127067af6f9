#include "detect/detector.hpp"

#include "detect/event.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "detect/alarm.hpp"
#include "detect/counter.hpp"
#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

using config::AssetState;
using ojson = nlohmann::ordered_json;

namespace {

constexpr size_t kPw = quantity_index("p_w"), kPl1 = quantity_index("p_l1_w"),
                 kPl2 = quantity_index("p_l2_w"), kPl3 = quantity_index("p_l3_w");
constexpr size_t kI1 = quantity_index("i_l1_a"), kI2 = quantity_index("i_l2_a"),
                 kI3 = quantity_index("i_l3_a");
constexpr size_t kImp = quantity_index("e_imp_kwh"), kExp = quantity_index("e_exp_kwh");
constexpr size_t kThd1 = quantity_index("thd_i_l1_pct"), kThd2 = quantity_index("thd_i_l2_pct"),
                 kThd3 = quantity_index("thd_i_l3_pct");

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr WallMs kHeatDropMs = 120'000;  // a heat ends when the draw stays low this long
constexpr size_t kMaxSeries = 32;        // heats kept as evidence of one series

bool has(double v) {
    return !std::isnan(v);
}
bool closed(AssetState s) {
    return s == AssetState::sealed || s == AssetState::dismantled;
}
bool restricted(AssetState s) {
    return closed(s) || s == AssetState::shut;
}

struct Heat {
    WallMs start = 0, end = 0;
    double peak_w = 0, energy_kwh = 0, mean_w = 0, thd_i_pct = kNaN, night_fraction = 0;
};

struct Heats {
    bool in = false;
    WallMs start = 0, below_since = -1, prev_ts = 0;
    double prev_v = 0, peak = 0, energy_wh = 0, thd_sum = 0, night_ms = 0;
    int thd_n = 0;
    std::vector<Heat> series;
    WallMs last_end = -1;
    Alarm alarm;  // furnace_signature: raised/id/started only
};

}  // namespace

struct Detector::Impl {
    struct MeterSt {
        std::string id;
        int asset = -1;
        WallMs interval = 1000, silence = 180'000;
        bool seen = false;
        WallMs last_ts = 0;
        double draw = kNaN;   // latest draw estimate, W
        double p_net = kNaN;  // latest signed p_w
        Counter imp, exp;
        std::string serial;
        Alarm reverse, phase, offline;
        std::string offline_reason;
        std::vector<std::pair<int, size_t>> balances;  // (balance, member index)
    };
    struct AssetSt {
        const config::Asset* cfg = nullptr;
        AssetState state = AssetState::operating;
        double raise_w = 0, clear_w = 0, production_w = 0, prod_clear_w = 0, heat_w = 0;
        Timing timing;
        bool export_allowed = false;
        std::vector<int> meters;
        Alarm power;
        std::string power_type;  // reenergized | production_suspected, while active
        Heats heats;
        double draw = kNaN;
    };
    struct Member {
        int meter = -1;
        double e0 = kNaN;
        WallMs t0 = 0;
        double psum = 0;
        int pn = 0;
        bool gap = false;
    };
    struct BalanceSt {
        const config::Balance* cfg = nullptr;
        std::string key;
        std::vector<Member> members;  // [0] = main
        WallMs win_start = -1, first_bad = -1;
        int bad = 0, good = 0;
        Alarm alarm;
        double main_w = 0, subs_w = 0;
    };

    const config::Config& cfg;
    const config::Detect& d;
    TimeZone tz;
    std::vector<MeterSt> meters;
    std::vector<AssetSt> assets;
    std::vector<BalanceSt> balances;
    std::unordered_map<std::string_view, int> meter_by_id;
    WallMs now = std::numeric_limits<WallMs>::min();
    WallMs last_alive = std::numeric_limits<WallMs>::min();
    WallMs resume = std::numeric_limits<WallMs>::min();
    WallMs gw_gap = 180'000;
    WallMs next_deadline = std::numeric_limits<WallMs>::min();

    Impl(const config::Config& c, TimeZone z) : cfg(c), d(c.detect), tz(std::move(z)) {
        for (const auto& m : cfg.meters) {
            MeterSt st;
            st.id = m.id;
            st.interval = m.interval_ms;
            st.silence =
                std::max<WallMs>(3 * WallMs{m.interval_ms}, WallMs{d.offline_min_s} * 1000);
            gw_gap = std::max(gw_gap, st.silence);
            meters.push_back(std::move(st));
        }
        for (size_t i = 0; i < meters.size(); ++i)
            meter_by_id.emplace(meters[i].id, static_cast<int>(i));
        for (const auto& a : cfg.assets) {
            AssetSt st;
            st.cfg = &a;
            st.state = a.state;
            st.raise_w = a.standby_w + std::max(d.margin_w, a.standby_w * d.margin_pct / 100);
            st.clear_w = a.standby_w;
            st.production_w = a.production_w.value_or(d.production_w);
            st.prod_clear_w = st.production_w * (1 - std::min(d.margin_pct, 100.0) / 100);
            st.heat_w = a.heat_w.value_or(d.heat_w);
            st.timing.min_on = WallMs{a.min_on_s.value_or(d.min_on_s)} * 1000;
            st.timing.min_off = WallMs{a.min_off_s.value_or(d.min_off_s)} * 1000;
            st.timing.min_samples = d.min_samples;
            st.export_allowed = a.export_allowed;
            int ai = static_cast<int>(assets.size());
            for (const auto& mid : a.meters) {
                int mi = index(mid);
                if (mi < 0) continue;
                st.meters.push_back(mi);
                meters[static_cast<size_t>(mi)].asset = ai;
                st.timing.gap = std::max(st.timing.gap, meters[static_cast<size_t>(mi)].silence);
            }
            assets.push_back(std::move(st));
        }
        for (const auto& b : cfg.balances) {
            BalanceSt st;
            st.cfg = &b;
            st.key = b.main;
            std::vector<std::string> ids{b.main};
            ids.insert(ids.end(), b.subs.begin(), b.subs.end());
            for (const auto& s : b.subs) st.key += "," + s;
            bool ok = true;
            for (const auto& id : ids) {
                Member mem;
                mem.meter = index(id);
                ok = ok && mem.meter >= 0;
                st.members.push_back(mem);
            }
            if (!ok) continue;
            int bi = static_cast<int>(balances.size());
            for (size_t k = 0; k < st.members.size(); ++k)
                meters[static_cast<size_t>(st.members[k].meter)].balances.emplace_back(bi, k);
            balances.push_back(std::move(st));
        }
    }

    int index(std::string_view id) const {
        auto it = meter_by_id.find(id);
        return it == meter_by_id.end() ? -1 : it->second;
    }

    // ---- events ----------------------------------------------------------------------------

    std::string make_id(std::string_view type, std::string_view subject, WallMs started) const {
        return event_id(cfg.gateway.id, type, subject, started);
    }

    const AssetSt* asset_of(const MeterSt& m) const {
        return m.asset >= 0 ? &assets[static_cast<size_t>(m.asset)] : nullptr;
    }
    AssetState state_of(const MeterSt& m) const {
        const auto* a = asset_of(m);
        return a ? a->state : AssetState::operating;
    }
    std::string asset_id(const MeterSt& m) const {
        const auto* a = asset_of(m);
        return a ? a->cfg->id : std::string();
    }
    const Timing& timing_of(const MeterSt& m) const {
        static const Timing kDefault;
        const auto* a = asset_of(m);
        return a ? a->timing : kDefault;
    }

    // Energy witnessed by an asset's counters (kWh, import + export when export is not
    // allowed); NaN unless every meter of the asset has a valid register.
    double asset_counter(const AssetSt& a) const {
        double sum = 0;
        for (int mi : a.meters) {
            const auto& m = meters[static_cast<size_t>(mi)];
            if (!m.imp.valid) return kNaN;
            sum += m.imp.value;
            if (!a.export_allowed && m.exp.valid) sum += m.exp.value;
        }
        return a.meters.empty() ? kNaN : sum;
    }

    // ---- time --------------------------------------------------------------------------------

    void advance(WallMs t, std::vector<Event>& out) {
        if (last_alive != std::numeric_limits<WallMs>::min() && t - last_alive > gw_gap)
            resume = t;  // the gateway was away: nobody is to blame for the silence
        if (last_alive == std::numeric_limits<WallMs>::min()) resume = t;
        last_alive = std::max(last_alive, t);
        now = std::max(now, t);
        if (now > next_deadline) fire_timers(out);
    }

    WallMs silence_deadline(const MeterSt& m) const {
        return std::max(m.last_ts, resume) + m.silence;
    }

    void fire_timers(std::vector<Event>& out) {
        WallMs next = std::numeric_limits<WallMs>::max();
        // Events of one scan in deadline order, so the output stays in data-time order.
        std::vector<std::pair<WallMs, Event>> due;
        for (auto& m : meters) {
            if (!m.seen || m.offline.raised) continue;
            WallMs dl = silence_deadline(m);
            if (now > dl) {
                due.emplace_back(dl, raise_offline(m, dl, m.last_ts, "no reading"));
            } else {
                next = std::min(next, dl);
            }
        }
        for (auto& a : assets) {
            auto& h = a.heats;
            if (!h.alarm.raised || h.in) continue;
            WallMs dl = h.last_end + WallMs{d.heat_gap_max_s} * 1000;
            if (now > dl) {
                due.emplace_back(dl, clear_signature(a, dl));
            } else {
                next = std::min(next, dl);
            }
        }
        std::stable_sort(due.begin(), due.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; });
        for (auto& [dl, e] : due) out.push_back(std::move(e));
        next_deadline = next;
    }

    void wake_at(WallMs dl) { next_deadline = std::min(next_deadline, dl); }

    Event raise_offline(MeterSt& m, WallMs ts, WallMs started, std::string_view reason) {
        auto& a = m.offline;
        a.raised = true;
        a.started = started;
        a.last_ts = ts;
        a.id = make_id("meter_offline", m.id, started);
        m.offline_reason = std::string(reason);
        auto e =
            make_event("meter_offline", EventState::raised, severity("meter_offline", state_of(m)),
                       asset_id(m), m.id, ts, started, a.id);
        e.details["reason"] = m.offline_reason;
        if (m.seen) e.details["last_reading"] = format_rfc3339(m.last_ts);
        return e;
    }

    void clear_offline(MeterSt& m, WallMs ts, std::vector<Event>& out) {
        auto& a = m.offline;
        a.raised = false;
        auto e =
            make_event("meter_offline", EventState::cleared, severity("meter_offline", state_of(m)),
                       asset_id(m), m.id, ts, a.started, a.id);
        e.details["reason"] = m.offline_reason;
        e.details["duration_s"] = (ts - a.started) / 1000;
        out.push_back(std::move(e));
    }

    // ---- readings ----------------------------------------------------------------------------

    void sample(int mi, WallMs ts, const Sample& s, std::vector<Event>& out) {
        advance(ts, out);
        auto& m = meters[static_cast<size_t>(mi)];
        AssetSt* a = m.asset >= 0 ? &assets[static_cast<size_t>(m.asset)] : nullptr;
        const AssetState st = a ? a->state : AssetState::operating;
        const bool export_ok = a && a->export_allowed;
        const WallMs dt = m.seen ? ts - m.last_ts : 0;
        const bool gap = m.seen && dt > m.silence;

        // Identity: a new serial means a new meter; its registers start elsewhere.
        if (!s.serial.empty() && s.serial != m.serial) {
            if (!m.serial.empty()) {
                auto e =
                    make_event("meter_replaced", EventState::info, severity("meter_replaced", st),
                               asset_id(m), m.id, ts, ts, make_id("meter_replaced", m.id, ts));
                e.details["old_serial"] = m.serial;
                e.details["new_serial"] = std::string(s.serial);
                if (m.imp.valid) e.details["old_e_imp_kwh"] = m.imp.value;
                if (has(s.v[kImp])) e.details["new_e_imp_kwh"] = s.v[kImp];
                if (m.seen) e.details["last_reading_old_meter"] = format_rfc3339(m.last_ts);
                out.push_back(std::move(e));
                m.imp = Counter{};
                m.exp = Counter{};
            }
            m.serial.assign(s.serial);
        }

        // Energy registers: the witness that cannot be hidden.
        Counter::Result ri, rx;
        if (has(s.v[kImp]))
            ri = m.imp.update(s.v[kImp], ts, d.rollback_tolerance_kwh, d.max_power_w);
        if (has(s.v[kExp]))
            rx = m.exp.update(s.v[kExp], ts, d.rollback_tolerance_kwh, d.max_power_w);
        for (const auto* r : {&ri, &rx}) {
            if (!r->rollback) continue;
            const char* q = r == &ri ? "e_imp_kwh" : "e_exp_kwh";
            auto e = make_event("counter_rollback", EventState::info,
                                severity("counter_rollback", st), asset_id(m), m.id, ts, r->from,
                                make_id("counter_rollback", m.id, r->from));
            e.details["quantity"] = q;
            e.details["from_kwh"] = r->from_value;
            e.details["to_kwh"] = r->to_value;
            e.details["serial"] = m.serial;
            out.push_back(std::move(e));
        }
        double adv_kwh = (ri.advanced ? ri.delta : 0) + (!export_ok && rx.advanced ? rx.delta : 0);
        WallMs adv_from = ri.advanced ? ri.from : (rx.advanced ? rx.from : ts);
        WallMs adv_span = ts - adv_from;
        if (a && restricted(st) && (ri.advanced || rx.advanced) && adv_span > m.silence)
            gap_consumption(*a, m, adv_from, ts, adv_kwh, out);

        // Draw estimate: per-phase magnitudes see through one reversed CT; |p_w| through all
        // three; the registers stand in where the meter gives no power.
        double draw = kNaN;
        const double pw = s.v[kPw];
        if (!export_ok && has(s.v[kPl1]) && has(s.v[kPl2]) && has(s.v[kPl3])) {
            draw = std::abs(s.v[kPl1]) + std::abs(s.v[kPl2]) + std::abs(s.v[kPl3]);
        } else if (has(pw)) {
            draw = export_ok ? pw : std::abs(pw);
        } else if ((ri.advanced || rx.advanced) && adv_span > 0 && adv_span <= m.silence) {
            draw = adv_kwh * kKwhMsToW / static_cast<double>(adv_span);
        }
        m.draw = draw;
        m.p_net = pw;
        if (!has(m.p_net) && ri.advanced && adv_span > 0 && adv_span <= m.silence)
            m.p_net = ri.delta * kKwhMsToW / static_cast<double>(adv_span);

        if (m.offline.raised) clear_offline(m, ts, out);
        m.seen = true;
        m.last_ts = ts;

        const Timing& t = timing_of(m);
        // Reverse energy: a feeder that only consumes shows export or negative power.
        if (!export_ok) {
            double rev_w = 0;
            if (has(pw)) rev_w = std::max(rev_w, -pw);
            for (size_t q : {kPl1, kPl2, kPl3})
                if (has(s.v[q])) rev_w = std::max(rev_w, -s.v[q]);
            if (rx.advanced && rx.delta > 0 && ts - rx.from <= m.silence && ts > rx.from)
                rev_w = std::max(rev_w, rx.delta * kKwhMsToW / static_cast<double>(ts - rx.from));
            bool cond = rev_w > d.reverse_w;
            if (m.reverse.active() || cond) {
                auto stp = step(m.reverse, cond, ts, rev_w, t);
                if (stp != Step::none) meter_alarm_event("reverse_energy", m, stp, ts, out);
            }
        }
        // Phase loss: one phase carries (almost) nothing while the others carry real current.
        if (has(s.v[kI1]) && has(s.v[kI2]) && has(s.v[kI3])) {
            double imax = std::max({s.v[kI1], s.v[kI2], s.v[kI3]});
            double imin = std::min({s.v[kI1], s.v[kI2], s.v[kI3]});
            // Below production level a single-phase load (a welder, lamps) leaves a phase idle
            // legitimately; an asset's meter is judged only while it carries a real load.
            bool loaded = !a || (has(draw) && draw >= a->production_w);
            bool cond = loaded && imax >= d.phase_min_a && imin < imax * d.phase_loss_pct / 100;
            if (m.phase.active() || cond) {
                auto stp = step(m.phase, cond, ts, imax, t);
                if (stp != Step::none) {
                    meter_alarm_event("phase_loss", m, stp, ts, out);
                    auto& det = out.back().details;
                    det["i_a"] = {s.v[kI1], s.v[kI2], s.v[kI3]};
                }
            }
        }
        if (a) {
            double thd = kNaN;
            int n = 0;
            double sum = 0;
            for (size_t q : {kThd1, kThd2, kThd3})
                if (has(s.v[q])) sum += s.v[q], ++n;
            if (n) thd = sum / n;
            evaluate_asset(*a, ts, thd, out);
        }
        for (auto [bi, k] : m.balances)
            balance_sample(balances[static_cast<size_t>(bi)], k, gap, ts, out);
        wake_at(silence_deadline(m));
    }

    void meter_alarm_event(std::string_view type, MeterSt& m, Step stp, WallMs ts,
                           std::vector<Event>& out) {
        Alarm& al = type == "reverse_energy" ? m.reverse : m.phase;
        AssetState st = state_of(m);
        Severity sev = severity(type, st);
        if (stp == Step::raise) al.id = make_id(type, m.id, al.started);
        auto e = make_event(type, stp == Step::raise ? EventState::raised : EventState::cleared,
                            sev, asset_id(m), m.id, ts, al.started, al.id);
        auto& det = e.details;
        if (type == "reverse_energy") {
            det["peak_reverse_w"] = round_to(al.peak, 0.1);
            det["reverse_energy_kwh"] = round_to(al.energy_wh / 1000, 0.001);
            if (m.exp.valid) det["e_exp_kwh"] = m.exp.value;
        } else {
            det["peak_current_a"] = round_to(al.peak, 0.01);
        }
        det["duration_s"] = (al.last_ts - al.first_ts) / 1000;
        det["first_seen"] = format_rfc3339(al.first_ts);
        det["last_seen"] = format_rfc3339(al.last_ts);
        out.push_back(std::move(e));
    }

    void gap_consumption(AssetSt& a, MeterSt& m, WallMs from, WallMs to, double kwh,
                         std::vector<Event>& out) {
        double hours = static_cast<double>(to - from) / 3.6e6;
        double mean_w = kwh * 1000 / hours;
        double limit_w = a.state == AssetState::shut ? a.production_w : a.raise_w;
        if (kwh <= d.counter_floor_kwh || mean_w <= limit_w) return;
        auto e = make_event("consumption_while_offline", EventState::info,
                            severity("consumption_while_offline", a.state), a.cfg->id, m.id, to,
                            from, make_id("consumption_while_offline", m.id, from));
        auto& det = e.details;
        det["gap_start"] = format_rfc3339(from);
        det["gap_end"] = format_rfc3339(to);
        det["gap_s"] = (to - from) / 1000;
        det["energy_kwh"] = round_to(kwh, 0.001);
        det["mean_power_w"] = round_to(mean_w, 0.1);
        det["limit_w"] = limit_w;
        det["serial"] = m.serial;
        out.push_back(std::move(e));
    }

    double asset_draw(const AssetSt& a) const {
        double sum = 0;
        bool any = false;
        for (int mi : a.meters) {
            const auto& m = meters[static_cast<size_t>(mi)];
            if (!m.seen || !has(m.draw) || now - m.last_ts > m.silence) continue;
            sum += m.draw;
            any = true;
        }
        return any ? sum : kNaN;
    }

    void evaluate_asset(AssetSt& a, WallMs ts, double thd, std::vector<Event>& out) {
        double w = asset_draw(a);
        a.draw = w;
        if (!has(w)) return;
        const AssetState st = a.state;
        if (closed(st) || st == AssetState::shut) {
            const bool shut = st == AssetState::shut;
            bool cond = shut ? w > (a.power.raised ? a.prod_clear_w : a.production_w)
                             : w > (a.power.raised ? a.clear_w : a.raise_w);
            if (cond || a.power.active()) {
                bool fresh = !a.power.active();
                auto stp = step(a.power, cond, ts, w, a.timing);
                if (fresh && a.power.active()) {
                    a.power_type = shut ? "production_suspected" : "reenergized";
                    a.power.counter0 = asset_counter(a);
                }
                if (stp != Step::none) power_event(a, stp, ts, out);
            }
            heat_sample(a, ts, w, thd, out);
        }
    }

    void power_event(AssetSt& a, Step stp, WallMs ts, std::vector<Event>& out) {
        auto& al = a.power;
        if (stp == Step::raise) al.id = make_id(a.power_type, a.cfg->id, al.started);
        bool shut = a.power_type == "production_suspected";
        auto e =
            make_event(a.power_type, stp == Step::raise ? EventState::raised : EventState::cleared,
                       severity(a.power_type, a.state), a.cfg->id, "", ts, al.started, al.id);
        auto& det = e.details;
        det["power_w"] = has(a.draw) ? ojson(round_to(a.draw, 0.1)) : ojson();
        power_evidence(det, al, asset_counter(a));
        det["threshold_w"] = shut ? a.production_w : a.raise_w;
        det["standby_w"] = a.cfg->standby_w;
        out.push_back(std::move(e));
    }

    bool night(WallMs t) const {
        int h = tz.hour_of_day(t);
        if (d.night_start_h <= d.night_end_h) return h >= d.night_start_h && h < d.night_end_h;
        return h >= d.night_start_h || h < d.night_end_h;
    }

    // Induction-furnace heats: draw above heat_w, holding, then dropping; repeated.
    void heat_sample(AssetSt& a, WallMs ts, double w, double thd, std::vector<Event>& out) {
        auto& h = a.heats;
        if (!h.in) {
            if (w < a.heat_w) return;
            h.in = true;
            h.start = h.prev_ts = ts;
            h.prev_v = h.peak = w;
            h.below_since = -1;
            h.energy_wh = h.thd_sum = h.night_ms = 0;
            h.thd_n = 0;
            if (has(thd)) h.thd_sum += thd, ++h.thd_n;
            return;
        }
        WallMs dt = ts - h.prev_ts;
        if (dt > a.timing.gap) {  // lost sight of it: the heat ended when we last saw it
            end_heat(a, h.prev_ts, ts, out);
            if (w >= a.heat_w) heat_sample(a, ts, w, thd, out);
            return;
        }
        if (dt > 0) {
            h.energy_wh += h.prev_v * static_cast<double>(dt) / 3.6e6;
            if (night(h.prev_ts)) h.night_ms += static_cast<double>(dt);
        }
        h.prev_ts = ts;
        h.prev_v = w;
        h.peak = std::max(h.peak, w);
        if (w >= a.heat_w * 0.5) {
            h.below_since = -1;
            if (has(thd)) h.thd_sum += thd, ++h.thd_n;
        } else {
            if (h.below_since < 0) h.below_since = ts;
            if (ts - h.below_since >= kHeatDropMs) end_heat(a, h.below_since, ts, out);
        }
    }

    void end_heat(AssetSt& a, WallMs end, WallMs ts, std::vector<Event>& out) {
        auto& h = a.heats;
        h.in = false;
        Heat heat;
        heat.start = h.start;
        heat.end = end;
        WallMs dur = end - h.start;
        heat.peak_w = h.peak;
        heat.energy_kwh = h.energy_wh / 1000;
        heat.mean_w = dur > 0 ? h.energy_wh * 3.6e6 / static_cast<double>(dur) : 0;
        heat.thd_i_pct = h.thd_n ? h.thd_sum / h.thd_n : kNaN;
        heat.night_fraction = dur > 0 ? std::min(1.0, h.night_ms / static_cast<double>(dur)) : 0;
        bool shaped = dur >= WallMs{d.heat_min_s} * 1000 && dur <= WallMs{d.heat_max_s} * 1000 &&
                      heat.mean_w >= 0.5 * heat.peak_w;
        bool induction = !has(heat.thd_i_pct) || heat.thd_i_pct >= d.thd_i_min_pct;
        if (!shaped || !induction) return;
        if (h.last_end >= 0 && heat.start - h.last_end > WallMs{d.heat_gap_max_s} * 1000)
            h.series.clear();
        if (h.series.size() >= kMaxSeries) h.series.erase(h.series.begin());
        h.series.push_back(heat);
        h.last_end = end;
        if (h.alarm.raised || static_cast<int>(h.series.size()) < d.heats_min) {
            if (h.alarm.raised) wake_at(end + WallMs{d.heat_gap_max_s} * 1000);
            return;
        }
        h.alarm.raised = true;
        h.alarm.started = h.series.front().start;
        h.alarm.id = make_id("furnace_signature", a.cfg->id, h.alarm.started);
        auto e = make_event("furnace_signature", EventState::raised,
                            severity("furnace_signature", a.state), a.cfg->id, "", ts,
                            h.alarm.started, h.alarm.id);
        signature_details(e.details, a);
        out.push_back(std::move(e));
        wake_at(end + WallMs{d.heat_gap_max_s} * 1000);
    }

    void signature_details(ojson& det, const AssetSt& a) const {
        const auto& s = a.heats.series;
        det["heats"] = s.size();
        ojson list = ojson::array();
        double night_ms = 0, total_ms = 0, thd_sum = 0, peak = 0, kwh = 0;
        int thd_n = 0;
        for (const auto& h : s) {
            ojson x{{"start", format_rfc3339(h.start)},
                    {"end", format_rfc3339(h.end)},
                    {"duration_s", (h.end - h.start) / 1000},
                    {"peak_w", round_to(h.peak_w, 0.1)},
                    {"mean_w", round_to(h.mean_w, 0.1)},
                    {"energy_kwh", round_to(h.energy_kwh, 0.001)}};
            if (has(h.thd_i_pct)) x["thd_i_pct"] = round_to(h.thd_i_pct, 0.01);
            list.push_back(std::move(x));
            double dur = static_cast<double>(h.end - h.start);
            night_ms += h.night_fraction * dur;
            total_ms += dur;
            if (has(h.thd_i_pct)) thd_sum += h.thd_i_pct, ++thd_n;
            peak = std::max(peak, h.peak_w);
            kwh += h.energy_kwh;
        }
        det["peak_w"] = round_to(peak, 0.1);
        det["energy_kwh"] = round_to(kwh, 0.001);
        det["night_fraction"] = total_ms > 0 ? round_to(night_ms / total_ms, 0.01) : 0.0;
        det["thd_i_pct"] = thd_n ? ojson(round_to(thd_sum / thd_n, 0.01)) : ojson();
        det["heat_w"] = a.heat_w;
        det["heat_list"] = std::move(list);
    }

    Event clear_signature(AssetSt& a, WallMs ts) {
        auto& h = a.heats;
        h.alarm.raised = false;
        auto e = make_event("furnace_signature", EventState::cleared,
                            severity("furnace_signature", a.state), a.cfg->id, "", ts,
                            h.alarm.started, h.alarm.id);
        signature_details(e.details, a);
        e.details["last_heat_end"] = format_rfc3339(h.last_end);
        h.series.clear();
        return e;
    }

    // ---- balances ----------------------------------------------------------------------------

    void start_window(BalanceSt& b, WallMs ts) {
        b.win_start = ts;
        for (auto& mem : b.members) {
            const auto& m = meters[static_cast<size_t>(mem.meter)];
            mem.e0 = m.imp.valid ? m.imp.value : kNaN;
            mem.t0 = m.imp.ts;
            mem.psum = 0;
            mem.pn = 0;
            mem.gap = !m.seen;
        }
    }

    void balance_sample(BalanceSt& b, size_t k, bool gap, WallMs ts, std::vector<Event>& out) {
        if (b.win_start < 0) return start_window(b, ts);
        auto& mem = b.members[k];
        const auto& m = meters[static_cast<size_t>(mem.meter)];
        if (gap) mem.gap = true;
        if (has(m.p_net)) mem.psum += m.p_net, ++mem.pn;
        if (ts - b.win_start < WallMs{d.balance_window_s} * 1000) return;
        close_window(b, ts, out);
        start_window(b, ts);
    }

    void close_window(BalanceSt& b, WallMs ts, std::vector<Event>& out) {
        std::vector<double> mean(b.members.size(), kNaN);
        for (size_t k = 0; k < b.members.size(); ++k) {
            const auto& mem = b.members[k];
            const auto& m = meters[static_cast<size_t>(mem.meter)];
            if (mem.gap || !m.seen || now - m.last_ts > m.silence) return;  // no verdict
            if (has(mem.e0) && m.imp.valid && m.imp.ts > mem.t0 && m.imp.value >= mem.e0)
                mean[k] =
                    (m.imp.value - mem.e0) * kKwhMsToW / static_cast<double>(m.imp.ts - mem.t0);
            else if (mem.pn > 0)
                mean[k] = mem.psum / mem.pn;
            else
                return;
        }
        double subs = 0;
        for (size_t k = 1; k < mean.size(); ++k) subs += mean[k];
        double excess = mean[0] - subs;
        bool bad =
            excess > std::max(b.cfg->tolerance_pct / 100 * std::abs(mean[0]), d.balance_floor_w);
        double window_h = static_cast<double>(ts - b.win_start) / 3.6e6;
        b.main_w = mean[0];
        b.subs_w = subs;
        if (bad) {
            if (b.bad == 0) b.first_bad = b.win_start;
            ++b.bad;
            b.good = 0;
        } else {
            ++b.good;
            b.bad = 0;
        }
        auto& al = b.alarm;
        if (bad || al.raised) {
            al.peak = std::max(al.raised || b.bad > 1 ? al.peak : 0.0, excess);
            if (bad) al.energy_wh = (al.raised || b.bad > 1 ? al.energy_wh : 0) + excess * window_h;
        }
        const auto& main = meters[static_cast<size_t>(b.members[0].meter)];
        if (!al.raised && b.bad >= d.balance_windows) {
            al.raised = true;
            al.started = b.first_bad;
            al.id = make_id("unmetered_load", main.id, al.started);
            out.push_back(balance_event(b, EventState::raised, ts, excess));
        } else if (al.raised && b.good >= d.balance_windows) {
            al.raised = false;
            out.push_back(balance_event(b, EventState::cleared, ts, excess));
        }
    }

    Event balance_event(const BalanceSt& b, EventState st, WallMs ts, double excess) const {
        const auto& main = meters[static_cast<size_t>(b.members[0].meter)];
        bool sealed_sub = false;
        ojson subs = ojson::array();
        for (size_t k = 1; k < b.members.size(); ++k) {
            const auto& m = meters[static_cast<size_t>(b.members[k].meter)];
            subs.push_back(m.id);
            if (closed(state_of(m))) sealed_sub = true;
        }
        auto e = make_event(
            "unmetered_load", st,
            severity("unmetered_load", sealed_sub ? AssetState::sealed : AssetState::operating),
            asset_id(main), main.id, ts, b.alarm.started, b.alarm.id);
        auto& det = e.details;
        det["subs"] = subs;
        det["main_w"] = round_to(b.main_w, 0.1);
        det["subs_w"] = round_to(b.subs_w, 0.1);
        det["excess_w"] = round_to(excess, 0.1);
        det["peak_excess_w"] = round_to(b.alarm.peak, 0.1);
        det["excess_energy_kwh"] = round_to(b.alarm.energy_wh / 1000, 0.001);
        det["tolerance_pct"] = b.cfg->tolerance_pct;
        det["window_s"] = d.balance_window_s;
        return e;
    }
};

// ---- public surface ------------------------------------------------------------------------

Detector::Detector(const config::Config& cfg, TimeZone tz)
    : impl_(std::make_unique<Impl>(cfg, std::move(tz))) {}
Detector::~Detector() = default;

int Detector::meter_index(std::string_view id) const {
    return impl_->index(id);
}
int Detector::meter_count() const {
    return static_cast<int>(impl_->meters.size());
}
const std::string& Detector::meter_id(int index) const {
    return impl_->meters.at(static_cast<size_t>(index)).id;
}

void Detector::on_sample(int meter, WallMs ts, const Sample& sample, std::vector<Event>& out) {
    if (meter < 0 || static_cast<size_t>(meter) >= impl_->meters.size()) return;
    impl_->sample(meter, ts, sample, out);
}

bool Detector::on_reading(const Reading& r, std::vector<Event>& out) {
    int mi = impl_->index(r.meter);
    if (mi < 0) return false;
    Sample s;
    for (const auto& v : r.values)
        if (v.quantity < s.v.size()) s.v[v.quantity] = v.value;
    if (r.serial) s.serial = *r.serial;
    impl_->sample(mi, r.wall_ms, s, out);
    return true;
}

bool Detector::on_health(const HealthChange& c, std::vector<Event>& out) {
    int mi = impl_->index(c.meter);
    if (mi < 0) return false;
    impl_->advance(c.wall_ms, out);
    auto& m = impl_->meters[static_cast<size_t>(mi)];
    if (c.health == MeterHealth::online) {
        if (m.offline.raised) impl_->clear_offline(m, impl_->now, out);
        return true;
    }
    std::string reason = std::string(to_string(c.health));
    if (!c.reason.empty()) reason += ": " + c.reason;
    if (!m.offline.raised)
        out.push_back(impl_->raise_offline(m, impl_->now, m.seen ? m.last_ts : impl_->now, reason));
    return true;
}

void Detector::on_time(WallMs now, std::vector<Event>& out) {
    impl_->advance(now, out);
}

bool Detector::set_asset_state(std::string_view asset, config::AssetState state, WallMs ts,
                               std::string_view by, std::string_view note,
                               std::vector<Event>& out) {
    auto& I = *impl_;
    auto it = std::find_if(I.assets.begin(), I.assets.end(),
                           [&](const auto& a) { return a.cfg->id == asset; });
    if (it == I.assets.end()) return false;
    I.advance(ts, out);
    auto& a = *it;
    auto from = a.state;
    if (from == state) return true;
    a.state = state;
    auto e =
        make_event("asset_state_changed", EventState::info, severity("asset_state_changed", state),
                   a.cfg->id, "", I.now, I.now, I.make_id("asset_state_changed", a.cfg->id, I.now));
    e.details["by"] = std::string(by);
    e.details["from"] = std::string(config::to_string(from));
    e.details["to"] = std::string(config::to_string(state));
    e.details["note"] = std::string(note);
    out.push_back(std::move(e));
    // Alarms whose premise changed are closed; the new state's rules start afresh.
    const char* applies = closed(state)                       ? "reenergized"
                          : state == config::AssetState::shut ? "production_suspected"
                                                              : "";
    if (a.power.raised && a.power_type != applies) {
        I.power_event(a, Step::clear, I.now, out);
        out.back().details["reason"] = "asset state changed";
    }
    if (a.power_type != applies) {
        a.power = Alarm{};
        a.power_type.clear();
    }
    if (!restricted(state) && a.heats.alarm.raised) {
        out.push_back(I.clear_signature(a, I.now));
        out.back().details["reason"] = "asset state changed";
    }
    if (!restricted(state)) a.heats = Heats{};
    return true;
}

double Detector::asset_power(std::string_view asset) const {
    for (const auto& a : impl_->assets)
        if (a.cfg->id == asset) return impl_->asset_draw(a);
    return kNaN;
}

std::vector<Event> Detector::open_alarms() const {
    auto& I = *impl_;
    std::vector<Event> out;
    for (const auto& m : I.meters) {
        AssetState st = I.state_of(m);
        for (auto [al, type] :
             {std::pair{&m.offline, "meter_offline"}, std::pair{&m.reverse, "reverse_energy"},
              std::pair{&m.phase, "phase_loss"}}) {
            if (!al->raised) continue;
            out.push_back(make_event(type, EventState::raised, severity(type, st), I.asset_id(m),
                                     m.id, al->last_ts, al->started, al->id));
        }
    }
    for (const auto& a : I.assets) {
        if (a.power.raised) {
            auto e = make_event(a.power_type, EventState::raised, severity(a.power_type, a.state),
                                a.cfg->id, "", a.power.last_ts, a.power.started, a.power.id);
            power_evidence(e.details, a.power, I.asset_counter(a));
            out.push_back(std::move(e));
        }
        if (a.heats.alarm.raised) {
            auto e = make_event("furnace_signature", EventState::raised,
                                severity("furnace_signature", a.state), a.cfg->id, "",
                                a.heats.last_end, a.heats.alarm.started, a.heats.alarm.id);
            I.signature_details(e.details, a);
            out.push_back(std::move(e));
        }
    }
    for (const auto& b : I.balances)
        if (b.alarm.raised) out.push_back(I.balance_event(b, EventState::raised, I.now, 0));
    return out;
}

// ---- snapshot ------------------------------------------------------------------------------

namespace {
constexpr const char* kFormat = "sealwatch-detector/1";
}

nlohmann::json Detector::snapshot() const {
    const auto& I = *impl_;
    ojson j;
    j["format"] = kFormat;
    j["now"] = I.now;
    j["last_alive"] = I.last_alive;
    j["resume"] = I.resume;
    ojson ms = ojson::object();
    for (const auto& m : I.meters) {
        if (!m.seen && m.serial.empty()) continue;
        ojson x{{"seen", m.seen},         {"last_ts", m.last_ts},
                {"serial", m.serial},     {"imp", m.imp.to_json()},
                {"exp", m.exp.to_json()}, {"draw", has(m.draw) ? ojson(m.draw) : ojson()}};
        if (m.reverse.active()) x["reverse"] = m.reverse.to_json();
        if (m.phase.active()) x["phase"] = m.phase.to_json();
        if (m.offline.raised) {
            x["offline"] = m.offline.to_json();
            x["offline_reason"] = m.offline_reason;
        }
        ms[m.id] = std::move(x);
    }
    j["meters"] = std::move(ms);
    ojson as = ojson::object();
    for (const auto& a : I.assets) {
        ojson x = ojson::object();
        if (a.power.active()) {
            x["power"] = a.power.to_json();
            x["power_type"] = a.power_type;
        }
        const auto& h = a.heats;
        if (!h.series.empty() || h.alarm.raised) {
            ojson series = ojson::array();
            for (const auto& s : h.series)
                series.push_back({s.start, s.end, s.peak_w, s.energy_kwh, s.mean_w,
                                  has(s.thd_i_pct) ? ojson(s.thd_i_pct) : ojson(),
                                  s.night_fraction});
            x["heats"] = {{"series", std::move(series)},
                          {"last_end", h.last_end},
                          {"alarm", h.alarm.to_json()}};
        }
        if (!x.empty()) as[a.cfg->id] = std::move(x);
    }
    j["assets"] = std::move(as);
    ojson bs = ojson::object();
    for (const auto& b : I.balances)
        if (b.alarm.raised)
            bs[b.key] = {{"alarm", b.alarm.to_json()}, {"main_w", b.main_w}, {"subs_w", b.subs_w}};
    j["balances"] = std::move(bs);
    // nlohmann::json (unordered) for the caller; the content is the same.
    return nlohmann::json::parse(j.dump());
}

bool Detector::restore(const nlohmann::json& j) {
    if (!j.is_object() || j.value("format", "") != kFormat) return false;
    auto fresh = std::make_unique<Impl>(impl_->cfg, impl_->tz);
    auto& I = *fresh;
    try {
        I.now = j.at("now").get<WallMs>();
        I.last_alive = j.at("last_alive").get<WallMs>();
        I.resume = j.at("resume").get<WallMs>();
        for (const auto& [id, x] : j.at("meters").items()) {
            int mi = I.index(id);
            if (mi < 0) continue;
            auto& m = I.meters[static_cast<size_t>(mi)];
            m.seen = x.value("seen", false);
            m.last_ts = x.value("last_ts", WallMs{0});
            m.serial = x.value("serial", std::string());
            m.imp.from_json(x.value("imp", nlohmann::json()));
            m.exp.from_json(x.value("exp", nlohmann::json()));
            m.draw = x.contains("draw") && x["draw"].is_number() ? x["draw"].get<double>() : kNaN;
            if (x.contains("reverse")) m.reverse.from_json(x["reverse"]);
            if (x.contains("phase")) m.phase.from_json(x["phase"]);
            if (x.contains("offline")) {
                m.offline.from_json(x["offline"]);
                m.offline_reason = x.value("offline_reason", std::string());
            }
        }
        for (const auto& [id, x] : j.at("assets").items()) {
            auto it = std::find_if(I.assets.begin(), I.assets.end(),
                                   [&](const auto& a) { return a.cfg->id == id; });
            if (it == I.assets.end()) continue;
            auto& a = *it;
            if (x.contains("power")) {
                a.power.from_json(x["power"]);
                a.power_type = x.value("power_type", std::string());
            }
            if (x.contains("heats")) {
                const auto& h = x["heats"];
                a.heats.last_end = h.value("last_end", WallMs{-1});
                a.heats.alarm.from_json(h.at("alarm"));
                for (const auto& s : h.at("series")) {
                    Heat heat;
                    heat.start = s.at(0).get<WallMs>();
                    heat.end = s.at(1).get<WallMs>();
                    heat.peak_w = s.at(2).get<double>();
                    heat.energy_kwh = s.at(3).get<double>();
                    heat.mean_w = s.at(4).get<double>();
                    heat.thd_i_pct = s.at(5).is_number() ? s.at(5).get<double>() : kNaN;
                    heat.night_fraction = s.at(6).get<double>();
                    a.heats.series.push_back(heat);
                }
            }
        }
        for (const auto& [key, x] : j.at("balances").items()) {
            for (auto& b : I.balances) {
                if (b.key != key) continue;
                b.alarm.from_json(x.at("alarm"));
                b.main_w = x.value("main_w", 0.0);
                b.subs_w = x.value("subs_w", 0.0);
            }
        }
    } catch (const nlohmann::json::exception&) {
        return false;
    }
    I.next_deadline = std::numeric_limits<WallMs>::min();
    impl_ = std::move(fresh);
    return true;
}

}  // namespace sealwatch::detect
