#include "detect/rules/meter_event_counts.hpp"

#include "common/clock.hpp"
#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
// The snapshot's top-level key: {meter id: {identifier: count}}. Its own key, not the meter's
// entry, which exists only for meters that gave a reading.
constexpr const char* kKey = "meter_event_counts";
}  // namespace

void MeterEventCounts::on_event_counts(int meter, const EventCounts& counts, Events& out) {
    const auto& m = site_.meter(meter);
    const WallMs ts = counts.wall_ms;
    for (const CountChange& c : trackers_[static_cast<size_t>(meter)].update(counts.counts)) {
        if (c.kind == CountChange::Kind::baseline) continue;
        const bool went_back = c.kind == CountChange::Kind::went_back;
        // A count that fell was cleared with the meter's records (or the meter is another
        // one): that is the fact to report, whichever count it was.
        const std::string type = went_back ? "meter_cleared" : c.count->event;
        auto e =
            make_event(type, EventState::info, severity(type, site_.state_of(m)), site_.asset_id(m),
                       m.id, ts, ts, site_.make_id(type, m.id + ":" + c.count->identifier, ts));
        e.details["identifier"] = c.count->identifier;
        e.details["what"] = c.count->what;
        e.details["old_count"] = c.old_count;
        e.details["new_count"] = c.count->count;
        if (went_back) e.details["went_back"] = true;
        // The meter's own word on when (its latest record), beside ours on when we saw it.
        if (!went_back && c.count->record_ms)
            e.details["record_time"] = format_rfc3339(*c.count->record_ms);
        if (!counts.family.empty()) e.details["family"] = counts.family;
        out.push_back(std::move(e));
    }
}

void MeterEventCounts::snapshot(ojson& j) const {
    ojson all = ojson::object();
    for (size_t i = 0; i < trackers_.size(); ++i)
        if (!trackers_[i].empty()) all[site_.meters[i].id] = trackers_[i].to_json();
    // Absent while no counts are known: a site of Modbus meters keeps the snapshot it had.
    if (!all.empty()) j[kKey] = std::move(all);
}

void MeterEventCounts::restore(const nlohmann::json& j) {
    if (!j.contains(kKey)) return;  // a snapshot from before the counts were read
    for (const auto& [id, x] : j.at(kKey).items()) {
        const int mi = site_.index(id);
        if (mi >= 0) trackers_[static_cast<size_t>(mi)].from_json(x);
    }
}

}  // namespace sealwatch::detect
