#include "detect/rules/unmetered_load.hpp"

#include <algorithm>

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
constexpr const char* kType = "unmetered_load";

ojson number_or_null(double v) {
    return std::isnan(v) ? ojson() : ojson(v);
}
double number_or_nan(const nlohmann::json& j) {
    return j.is_number() ? j.get<double>() : std::nan("");
}
}  // namespace

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
    for (auto [bi, k] : of_meter_[static_cast<size_t>(r.index)]) sample(balances_[bi], k, r, out);
}

void UnmeteredLoad::sample(Balance& b, size_t k, const MeterReading& r, Events& out) {
    const WallMs window = WallMs{site_.d.balance_window_s} * 1000;
    const auto& m = site_.meter(b.members[k].meter);
    auto& mem = b.members[k];
    const WallMs ts = r.ts, from = mem.last_ts;
    const double kwh = m.imp.valid && m.imp.ts == ts ? m.imp.value : std::nan("");
    const double p = m.p_net;
    // The first window starts at the grid's first edge after the first reading of the balance:
    // by then every member polled at that pace has a reading before it.
    if (b.win_start < 0) b.win_start = (ts / window + 1) * window;
    // This reading passes edge t: the register there on the straight line from the previous
    // reading, and the draw across it (the register's slope, else p_w).
    auto edge = [&](WallMs t, double& e_at, double& w_at) {
        if (ts == t) {
            e_at = kwh;
        } else if (from >= 0) {
            e_at = mem.last_kwh + (kwh - mem.last_kwh) * static_cast<double>(t - from) /
                                      static_cast<double>(ts - from);
        }
        w_at = from >= 0 && !std::isnan(kwh - mem.last_kwh)
                   ? (kwh - mem.last_kwh) * kKwhMsToW / static_cast<double>(ts - from)
                   : p;
    };
    for (;;) {
        const WallMs t0 = b.win_start, t1 = t0 + window;
        if (ts < t0) break;  // before the first window
        if (from < t0 && std::isnan(mem.e0)) edge(t0, mem.e0, mem.w0);
        if (r.gap && from < t1) mem.gap = true;
        if (ts < t1) {
            if (!std::isnan(p)) mem.psum += p, ++mem.pn;
            break;
        }
        if (!mem.crossed) {
            edge(t1, mem.e1, mem.w1);
            mem.crossed = true;
        }
        if (std::all_of(b.members.begin(), b.members.end(),
                        [](const Member& x) { return x.crossed; })) {
            close_window(b, ts, out);
            next_window(b);
            continue;  // this reading may lie in the next window, or past it
        }
        if (ts - t1 >= window) {  // a member has not read for a whole window: no verdict
            next_window(b);
            if (ts - t1 >= 3 * window) {
                // Every window up to this reading's has no verdict, and after two of them every
                // member's state is blank and stays so (this reading's edges are drawn again
                // from the line between its previous reading and it): go to two windows before
                // the reading's, so that a jump of years costs what one of minutes does.
                next_window(b);
                b.win_start = std::max(b.win_start, (ts / window - 2) * window);
            }
            continue;
        }
        if (!std::isnan(p)) mem.next_psum += p, ++mem.next_pn;  // the others have not read past t1
        break;
    }
    mem.last_ts = ts;
    mem.last_kwh = kwh;
}

void UnmeteredLoad::next_window(Balance& b) {
    b.win_start += WallMs{site_.d.balance_window_s} * 1000;
    for (auto& mem : b.members) {
        mem.e0 = mem.crossed ? mem.e1 : std::nan("");
        mem.w0 = mem.crossed ? mem.w1 : std::nan("");
        mem.e1 = mem.w1 = std::nan("");
        mem.psum = mem.next_psum;
        mem.pn = mem.next_pn;
        mem.next_psum = 0;
        mem.next_pn = 0;
        mem.crossed = mem.gap = false;
    }
}

void UnmeteredLoad::close_window(Balance& b, WallMs ts, Events& out) {
    const auto& d = site_.d;
    const WallMs window = WallMs{d.balance_window_s} * 1000;
    std::vector<double> mean(b.members.size(), std::nan(""));
    WallMs slowest = 0;
    for (size_t k = 0; k < b.members.size(); ++k) {
        const auto& mem = b.members[k];
        if (mem.gap) return;  // no verdict
        if (!std::isnan(mem.e0) && !std::isnan(mem.e1) && mem.e1 >= mem.e0)
            mean[k] = (mem.e1 - mem.e0) * kKwhMsToW / static_cast<double>(window);
        else if (mem.pn > 0)
            mean[k] = mem.psum / mem.pn;
        else
            return;
        slowest = std::max(slowest, site_.meter(mem.meter).interval);
    }
    double subs = 0;
    for (size_t k = 1; k < mean.size(); ++k) subs += mean[k];
    double excess = mean[0] - subs;
    // Sub-meters stamped one poll behind the incoming meter (exports, slow buses), with
    // timestamps jittered by up to half an interval, are judged over a window shifted by up to
    // 1.5 intervals: a load that changed between the window's edges shows that change times
    // shift / window as an excess that is no bypass.
    const auto& main = b.members[0];
    const WallMs shift = slowest + slowest / 2;
    double shifted = std::isnan(main.w1 - main.w0)
                         ? 0.0
                         : std::abs(main.w1 - main.w0) * static_cast<double>(shift) /
                               static_cast<double>(window);
    bool bad =
        excess >
        std::max(b.cfg->tolerance_pct / 100 * std::abs(mean[0]), d.balance_floor_w) + shifted;
    double window_h = static_cast<double>(window) / 3.6e6;
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
    const auto& main_meter = site_.meter(main.meter);
    if (!al.raised && b.bad >= d.balance_windows) {
        al.raised = true;
        al.started = b.first_bad;
        al.id = site_.make_id(kType, main_meter.id, al.started);
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

// "balances": {key: {"alarm", "main_w", "subs_w", "window"}}: "window" is the one being filled
// (start, the bad or good run before it, and each member's part); snapshots written before it
// existed restore with the next window starting afresh.
void UnmeteredLoad::snapshot(ojson& j) const {
    for (const auto& b : balances_) {
        if (b.win_start < 0 && !b.alarm.raised) continue;
        ojson members = ojson::array();
        for (const auto& m : b.members)
            members.push_back({m.last_ts, number_or_null(m.last_kwh), number_or_null(m.e0),
                               number_or_null(m.e1), number_or_null(m.w0), number_or_null(m.w1),
                               m.psum, m.pn, m.next_psum, m.next_pn, m.crossed, m.gap});
        j["balances"][b.key] = {{"alarm", b.alarm.to_json()},
                                {"main_w", b.main_w},
                                {"subs_w", b.subs_w},
                                {"window",
                                 {{"start", b.win_start},
                                  {"first_bad", b.first_bad},
                                  {"bad", b.bad},
                                  {"good", b.good},
                                  {"members", std::move(members)}}}};
    }
}

void UnmeteredLoad::restore(const nlohmann::json& j) {
    for (const auto& [key, x] : j.at("balances").items()) {
        for (auto& b : balances_) {
            if (b.key != key) continue;
            b.alarm.from_json(x.at("alarm"));
            b.main_w = x.value("main_w", 0.0);
            b.subs_w = x.value("subs_w", 0.0);
            if (!x.contains("window")) continue;
            const auto& w = x["window"];
            const auto& members = w.at("members");
            if (members.size() != b.members.size()) continue;  // another set of sub-meters
            b.win_start = w.at("start").get<WallMs>();
            b.first_bad = w.at("first_bad").get<WallMs>();
            b.bad = w.at("bad").get<int>();
            b.good = w.at("good").get<int>();
            for (size_t k = 0; k < b.members.size(); ++k) {
                const auto& mj = members.at(k);
                auto& m = b.members[k];
                m.last_ts = mj.at(0).get<WallMs>();
                m.last_kwh = number_or_nan(mj.at(1));
                m.e0 = number_or_nan(mj.at(2));
                m.e1 = number_or_nan(mj.at(3));
                m.w0 = number_or_nan(mj.at(4));
                m.w1 = number_or_nan(mj.at(5));
                m.psum = mj.at(6).get<double>();
                m.pn = mj.at(7).get<int>();
                m.next_psum = mj.at(8).get<double>();
                m.next_pn = mj.at(9).get<int>();
                m.crossed = mj.at(10).get<bool>();
                m.gap = mj.at(11).get<bool>();
            }
        }
    }
}

}  // namespace sealwatch::detect
