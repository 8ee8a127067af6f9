#pragma once
// A detection rule: one condition the contract names (an event type), with its own state,
// its raise and clear logic, its events and their details, its view of the open alarms and
// its part of the snapshot. The core (detector.cpp) keeps the site up to date and hands each
// reading, timer scan, health change, event-count read and state change to every rule in registry
// order (registry.cpp); adding a rule is one file here and one line there.
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/counter.hpp"
#include "detect/sample.hpp"
#include "detect/site.hpp"
#include "model/event.hpp"
#include "model/event_counts.hpp"
#include "model/reading.hpp"

namespace sealwatch::detect {

using Events = std::vector<Event>;
using ojson = nlohmann::ordered_json;

// One reading of one meter as the rules see it. Before the registers: the meter as it was.
// After: its registers, draw, `seen` and `last_ts` already updated with this reading.
struct MeterReading {
    int index;
    MeterTrack& meter;
    AssetTrack* asset;         // null when the meter feeds no asset
    config::AssetState state;  // the asset's (operating without one)
    bool export_ok;            // the asset may export (own generation)
    WallMs ts;
    const Sample& s;
    bool gap;  // the meter had been silent longer than its limit before this reading
    Counter::Result imp, exp;  // what the registers did with this reading
    double adv_kwh = 0;        // accepted register advance counted as draw (kWh) ...
    WallMs adv_from = 0;       // ... since this time
    WallMs adv_span = 0;
    double asset_w = std::nan("");         // the asset's draw after this reading (NaN: unknown)
    double thd = std::nan("");             // mean current THD of this reading (NaN: not read)
    EnergyVerdict energy{};                // whether the power values explain the registers
    const char* power_quantity = nullptr;  // the power values the draw is taken from, if any
};

// Timer events due at their deadline, merged by the core in deadline order.
using Due = std::vector<std::pair<WallMs, Event>>;

class Rule {
  public:
    explicit Rule(Site& site) : site_(site) {}
    virtual ~Rule() = default;
    Rule(const Rule&) = delete;
    Rule& operator=(const Rule&) = delete;

    // A reading, before the registers take it (a new meter's identity is settled here).
    virtual void before_registers(MeterReading&, Events&) {}
    virtual void on_reading(const MeterReading&, Events&) {}
    // The timers: events whose deadline is before site.now go to `due`; `next` lowers to the
    // earliest deadline still ahead.
    virtual void due(Due&, WallMs& /*next*/) {}
    // The poller's word on a meter (offline, misconfigured, online).
    virtual void on_health(int /*meter*/, const HealthChange&, Events&) {}
    // A read of the meter's own event counts (at their slower interval).
    virtual void on_event_counts(int /*meter*/, const EventCounts&, Events&) {}
    // After a legal state change of `asset` (already in its new state) at site.now.
    virtual void on_state_change(AssetTrack& /*asset*/, Events&) {}
    // The alarms open now, as their "raised" events with the evidence so far.
    virtual void open_alarms(Events&) const {}
    // Its part of the snapshot, written into the whole one (format sealwatch-detector/1), and
    // read back; restore throws nlohmann::json::exception on a malformed part.
    virtual void snapshot(ojson&) const {}
    virtual void restore(const nlohmann::json&) {}

  protected:
    Site& site_;
};

// The snapshot's entry of a meter (written by the core for every meter heard of), or null.
ojson* meter_entry(ojson& snapshot, const std::string& meter_id);
// The snapshot's entry of an asset, made when a rule first writes into it.
ojson& asset_entry(ojson& snapshot, const std::string& asset_id);
// Calls fn(meter index, entry) (fn(asset, entry)) for each configured meter (asset) in a
// snapshot being restored.
template <class Fn>
void for_each_meter(Site& site, const nlohmann::json& snapshot, Fn fn) {
    for (const auto& [id, x] : snapshot.at("meters").items()) {
        int mi = site.index(id);
        if (mi >= 0) fn(mi, x);
    }
}
template <class Fn>
void for_each_asset(Site& site, const nlohmann::json& snapshot, Fn fn) {
    for (const auto& [id, x] : snapshot.at("assets").items())
        for (auto& a : site.assets)
            if (a.cfg->id == id) fn(a, x);
}

}  // namespace sealwatch::detect
