#include "detect/rules/meter_offline.hpp"

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

MeterOffline::MeterOffline(Site& site) : Rule(site), meters_(site.meters.size()) {}

Event MeterOffline::raise(int meter, WallMs ts, WallMs started, std::string_view reason) {
    const auto& m = site_.meter(meter);
    auto& st = meters_[static_cast<size_t>(meter)];
    auto& a = st.alarm;
    a.raised = true;
    a.started = started;
    a.last_ts = ts;
    a.id = site_.make_id("meter_offline", m.id, started);
    st.reason = std::string(reason);
    auto e = make_event("meter_offline", EventState::raised,
                        severity("meter_offline", site_.state_of(m)), site_.asset_id(m), m.id, ts,
                        started, a.id);
    e.details["reason"] = st.reason;
    if (m.seen) e.details["last_reading"] = format_rfc3339(m.last_ts);
    return e;
}

Event MeterOffline::clear(int meter, WallMs ts) {
    const auto& m = site_.meter(meter);
    auto& st = meters_[static_cast<size_t>(meter)];
    auto& a = st.alarm;
    a.raised = false;
    auto e = make_event("meter_offline", EventState::cleared,
                        severity("meter_offline", site_.state_of(m)), site_.asset_id(m), m.id, ts,
                        a.started, a.id);
    e.details["reason"] = st.reason;
    e.details["duration_s"] = (ts - a.started) / 1000;
    return e;
}

void MeterOffline::on_reading(const MeterReading& r, Events& out) {
    if (meters_[static_cast<size_t>(r.index)].alarm.raised) out.push_back(clear(r.index, r.ts));
}

void MeterOffline::due(Due& due, WallMs& next) {
    for (size_t i = 0; i < meters_.size(); ++i) {
        const auto& m = site_.meters[i];
        if (!m.seen || meters_[i].alarm.raised) continue;
        WallMs dl = site_.silence_deadline(m);
        if (site_.now > dl) {
            due.emplace_back(dl, raise(static_cast<int>(i), dl, m.last_ts, "no reading"));
        } else {
            next = std::min(next, dl);
        }
    }
}

void MeterOffline::on_health(int meter, const HealthChange& change, Events& out) {
    const auto& m = site_.meter(meter);
    bool raised = meters_[static_cast<size_t>(meter)].alarm.raised;
    if (change.health == MeterHealth::online) {
        if (raised) out.push_back(clear(meter, site_.now));
        return;
    }
    std::string reason = std::string(to_string(change.health));
    if (!change.reason.empty()) reason += ": " + change.reason;
    if (!raised) out.push_back(raise(meter, site_.now, m.seen ? m.last_ts : site_.now, reason));
}

void MeterOffline::open_alarms(Events& out) const {
    for (size_t i = 0; i < meters_.size(); ++i) {
        const auto& a = meters_[i].alarm;
        if (!a.raised) continue;
        const auto& m = site_.meters[i];
        out.push_back(make_event("meter_offline", EventState::raised,
                                 severity("meter_offline", site_.state_of(m)), site_.asset_id(m),
                                 m.id, a.last_ts, a.started, a.id));
    }
}

void MeterOffline::snapshot(ojson& j) const {
    for (size_t i = 0; i < meters_.size(); ++i) {
        if (!meters_[i].alarm.raised) continue;
        if (auto* x = meter_entry(j, site_.meters[i].id)) {
            (*x)["offline"] = meters_[i].alarm.to_json();
            (*x)["offline_reason"] = meters_[i].reason;
        }
    }
}

void MeterOffline::restore(const nlohmann::json& j) {
    for_each_meter(site_, j, [&](int mi, const nlohmann::json& x) {
        if (!x.contains("offline")) return;
        auto& st = meters_[static_cast<size_t>(mi)];
        st.alarm.from_json(x["offline"]);
        st.reason = x.value("offline_reason", std::string());
    });
}

}  // namespace sealwatch::detect
