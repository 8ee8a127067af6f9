#include "detect/rules/unmetered_load.hpp"

#include <algorithm>

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
constexpr const char* kType = "unmetered_load";
}

UnmeteredLoad::UnmeteredLoad(Site& site) : Rule(site), of_meter_(site.meters.size()) {
    for (const auto& bc : site.cfg.balances) {
        Balance b;
        b.cfg = &bc;
        b.key = bc.main;
        std::vector<std::string> ids{bc.main};
        ids.insert(ids.end(), bc.subs.begin(), bc.subs.end());
        for (const auto& s : bc.subs) b.key += "," + s;
        bool ok = true;
        for (const auto& id : ids) {
            Member mem;
            mem.meter = site.index(id);
            ok = ok && mem.meter >= 0;
            b.members.push_back(mem);
        }
        if (!ok) continue;
        for (size_t k = 0; k < b.members.size(); ++k)
            of_meter_[static_cast<size_t>(b.members[k].meter)].emplace_back(balances_.size(), k);
        balances_.push_back(std::move(b));
    }
}

void UnmeteredLoad::on_reading(const MeterReading& r, Events& out) {
    for (auto [bi, k] : of_meter_[static_cast<size_t>(r.index)])
        sample(balances_[bi], k, r.gap, r.ts, out);
}

void UnmeteredLoad::start_window(Balance& b, WallMs ts) {
    b.win_start = ts;
    for (auto& mem : b.members) {
        const auto& m = site_.meter(mem.meter);
        mem.e0 = m.imp.valid ? m.imp.value : std::nan("");
        mem.t0 = m.imp.ts;
        mem.psum = 0;
        mem.pn = 0;
        mem.gap = !m.seen;
    }
}

void UnmeteredLoad::sample(Balance& b, size_t k, bool gap, WallMs ts, Events& out) {
    if (b.win_start < 0) return start_window(b, ts);
    auto& mem = b.members[k];
    const auto& m = site_.meter(mem.meter);
    if (gap) mem.gap = true;
    if (!std::isnan(m.p_net)) mem.psum += m.p_net, ++mem.pn;
    if (ts - b.win_start < WallMs{site_.d.balance_window_s} * 1000) return;
    close_window(b, ts, out);
    start_window(b, ts);
}

void UnmeteredLoad::close_window(Balance& b, WallMs ts, Events& out) {
    const auto& d = site_.d;
    std::vector<double> mean(b.members.size(), std::nan(""));
    for (size_t k = 0; k < b.members.size(); ++k) {
        const auto& mem = b.members[k];
        const auto& m = site_.meter(mem.meter);
        if (mem.gap || !m.seen || site_.now - m.last_ts > m.silence) return;  // no verdict
        if (!std::isnan(mem.e0) && m.imp.valid && m.imp.ts > mem.t0 && m.imp.value >= mem.e0)
            mean[k] = (m.imp.value - mem.e0) * kKwhMsToW / static_cast<double>(m.imp.ts - mem.t0);
        else if (mem.pn > 0)
            mean[k] = mem.psum / mem.pn;
        else
            return;
    }
    double subs = 0;
    for (size_t k = 1; k < mean.size(); ++k) subs += mean[k];
    double excess = mean[0] - subs;
    bool bad = excess > std::max(b.cfg->tolerance_pct / 100 * std::abs(mean[0]), d.balance_floor_w);
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
    const auto& main = site_.meter(b.members[0].meter);
    if (!al.raised && b.bad >= d.balance_windows) {
        al.raised = true;
        al.started = b.first_bad;
        al.id = site_.make_id(kType, main.id, al.started);
        out.push_back(event(b, EventState::raised, ts, excess));
    } else if (al.raised && b.good >= d.balance_windows) {
        al.raised = false;
        out.push_back(event(b, EventState::cleared, ts, excess));
    }
}

// Critical when a sub-meter belongs to a sealed or dismantled asset: the bypass most likely
// feeds it.
Event UnmeteredLoad::event(const Balance& b, EventState st, WallMs ts, double excess) const {
    const auto& main = site_.meter(b.members[0].meter);
    auto gravest = config::AssetState::operating;
    ojson subs = ojson::array();
    for (size_t k = 1; k < b.members.size(); ++k) {
        const auto& m = site_.meter(b.members[k].meter);
        subs.push_back(m.id);
        if (closed(site_.state_of(m))) gravest = site_.state_of(m);
    }
    auto e = make_event(kType, st, severity(kType, gravest), site_.asset_id(main), main.id, ts,
                        b.alarm.started, b.alarm.id);
    auto& det = e.details;
    det["subs"] = subs;
    det["main_w"] = round_to(b.main_w, 0.1);
    det["subs_w"] = round_to(b.subs_w, 0.1);
    det["excess_w"] = round_to(excess, 0.1);
    det["peak_excess_w"] = round_to(b.alarm.peak, 0.1);
    det["excess_energy_kwh"] = round_to(b.alarm.energy_wh / 1000, 0.001);
    det["tolerance_pct"] = b.cfg->tolerance_pct;
    det["window_s"] = site_.d.balance_window_s;
    return e;
}

void UnmeteredLoad::open_alarms(Events& out) const {
    for (const auto& b : balances_)
        if (b.alarm.raised) out.push_back(event(b, EventState::raised, site_.now, 0));
}

// "balances": {key: {"alarm", "main_w", "subs_w"}} for the raised ones.
void UnmeteredLoad::snapshot(ojson& j) const {
    for (const auto& b : balances_)
        if (b.alarm.raised)
            j["balances"][b.key] = {
                {"alarm", b.alarm.to_json()}, {"main_w", b.main_w}, {"subs_w", b.subs_w}};
}

void UnmeteredLoad::restore(const nlohmann::json& j) {
    for (const auto& [key, x] : j.at("balances").items()) {
        for (auto& b : balances_) {
            if (b.key != key) continue;
            b.alarm.from_json(x.at("alarm"));
            b.main_w = x.value("main_w", 0.0);
            b.subs_w = x.value("subs_w", 0.0);
        }
    }
}

}  // namespace sealwatch::detect
