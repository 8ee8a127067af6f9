#include "detect/rules/meter_alarm.hpp"

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

ojson* MeterAlarmRule::step_alarm(const MeterReading& r, bool cond, double v, Events& out,
                                  const Timing* timing) {
    auto& al = alarms_[static_cast<size_t>(r.index)];
    if (!al.active() && !cond) return nullptr;
    auto stp = step(al, cond, r.ts, v, timing ? *timing : site_.timing_of(r.meter));
    if (stp == Step::none) return nullptr;
    if (stp == Step::raise) al.id = site_.make_id(type_, r.meter.id, al.started);
    out.push_back(make_event(type_, stp == Step::raise ? EventState::raised : EventState::cleared,
                             severity(type_, r.state), site_.asset_id(r.meter), r.meter.id, r.ts,
                             al.started, al.id));
    return &out.back().details;
}

void MeterAlarmRule::open_alarms(Events& out) const {
    for (size_t i = 0; i < alarms_.size(); ++i) {
        const auto& a = alarms_[i];
        if (!a.raised) continue;
        const auto& m = site_.meters[i];
        out.push_back(make_event(type_, EventState::raised, severity(type_, site_.state_of(m)),
                                 site_.asset_id(m), m.id, a.last_ts, a.started, a.id));
    }
}

void MeterAlarmRule::snapshot(ojson& j) const {
    for (size_t i = 0; i < alarms_.size(); ++i)
        if (alarms_[i].active())
            if (auto* x = meter_entry(j, site_.meters[i].id)) (*x)[key_] = alarms_[i].to_json();
}

void MeterAlarmRule::restore(const nlohmann::json& j) {
    for_each_meter(site_, j, [&](int mi, const nlohmann::json& x) {
        if (x.contains(key_)) alarms_[static_cast<size_t>(mi)].from_json(x[key_]);
    });
}

}  // namespace sealwatch::detect
