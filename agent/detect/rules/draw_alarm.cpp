#include "detect/rules/draw_alarm.hpp"

#include <algorithm>

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

size_t DrawAlarmRule::index_of(const AssetTrack& a) const {
    return static_cast<size_t>(&a - site_.assets.data());
}

void DrawAlarmRule::on_reading(const MeterReading& r, Events& out) {
    if (!r.asset || std::isnan(r.asset_w) || !applies(r.asset->state)) return;
    const auto& a = *r.asset;
    auto& al = alarms_[index_of(a)];
    const double w = r.asset_w;
    bool cond = w > (al.raised ? clear_w(a) : raise_w(a));
    if (!cond && !al.active()) return;
    bool fresh = !al.active();
    auto stp = step(al, cond, r.ts, w, a.timing);
    if (fresh && al.active()) al.counter0 = site_.asset_counter(a);
    if (al.active() && std::any_of(a.meters.begin(), a.meters.end(), [&](int mi) {
            return site_.meter(mi).energy.draw_from_register();
        }))
        al.from_register = true;
    if (stp == Step::raise) al.id = site_.make_id(type_, a.cfg->id, al.started);
    if (stp != Step::none) push_event(a, stp, r.ts, out);
}

void DrawAlarmRule::push_event(const AssetTrack& a, Step stp, WallMs ts, Events& out) const {
    const auto& al = alarms_[index_of(a)];
    auto e = make_event(type_, stp == Step::raise ? EventState::raised : EventState::cleared,
                        severity(type_, a.state), a.cfg->id, "", ts, al.started, al.id);
    auto& det = e.details;
    det["power_w"] = std::isnan(a.draw) ? ojson() : ojson(round_to(a.draw, 0.1));
    power_evidence(det, al, site_.asset_counter(a));
    det["threshold_w"] = raise_w(a);
    det["standby_w"] = a.cfg->standby_w;
    out.push_back(std::move(e));
}

void DrawAlarmRule::on_state_change(AssetTrack& a, Events& out) {
    if (applies(a.state)) return;
    auto& al = alarms_[index_of(a)];
    if (al.raised) {
        push_event(a, Step::clear, site_.now, out);
        out.back().details["reason"] = "asset state changed";
    }
    al = Alarm{};
}

void DrawAlarmRule::open_alarms(Events& out) const {
    for (const auto& a : site_.assets) {
        const auto& al = alarms_[index_of(a)];
        if (!al.raised) continue;
        auto e = make_event(type_, EventState::raised, severity(type_, a.state), a.cfg->id, "",
                            al.last_ts, al.started, al.id);
        power_evidence(e.details, al, site_.asset_counter(a));
        out.push_back(std::move(e));
    }
}

// The asset's entry holds the one draw alarm in progress as "power" and its type.
void DrawAlarmRule::snapshot(ojson& j) const {
    for (const auto& a : site_.assets) {
        const auto& al = alarms_[index_of(a)];
        if (!al.active()) continue;
        auto& x = asset_entry(j, a.cfg->id);
        x["power"] = al.to_json();
        x["power_type"] = type_;
    }
}

void DrawAlarmRule::restore(const nlohmann::json& j) {
    for_each_asset(site_, j, [&](const AssetTrack& a, const nlohmann::json& x) {
        if (x.contains("power") && x.value("power_type", std::string()) == type_)
            alarms_[index_of(a)].from_json(x["power"]);
    });
}

}  // namespace sealwatch::detect
