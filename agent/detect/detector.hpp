#pragma once
// The detector: a deterministic function of (config, time-ordered readings, meter health, time)
// that yields events. No clock, no I/O: the caller hands in readings, health changes and "now".
// sealwatchd runs it live; `sealwatch analyze --csv` runs the same code over a file.
//
// The rules, their parameters and why the defaults are what they are: docs/detection.md.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "detect/sample.hpp"
#include "detect/timezone.hpp"
#include "model/event.hpp"
#include "model/event_counts.hpp"
#include "model/reading.hpp"

namespace sealwatch::detect {

class Detector {
  public:
    explicit Detector(const config::Config& cfg, TimeZone tz = {});
    ~Detector();
    Detector(const Detector&) = delete;
    Detector& operator=(const Detector&) = delete;

    // Events are appended to `out`, in data-time order (each event's ts is >= the ts of every
    // event appended before it by this detector).

    // A reading. Readings must come in time order (per meter; the detector's clock never goes
    // back: an older timestamp is treated as "now"). Unknown meters are ignored (returns false).
    bool on_reading(const Reading& reading, std::vector<Event>& out);
    // The fast path used by analyze: meter index from meter_index().
    void on_sample(int meter, WallMs ts, const Sample& sample, std::vector<Event>& out);
    int meter_index(std::string_view id) const;  // -1 when not in the config
    int meter_count() const;
    const std::string& meter_id(int index) const;

    // The poller's word on a meter: offline and misconfigured raise meter_offline, online
    // (or the next reading) clears it.
    bool on_health(const HealthChange& change, std::vector<Event>& out);

    // A read of a meter's own event counts: a count that advanced since the last known read
    // raises its meter_* event, one that went back meter_cleared (the first read is the
    // baseline). Unknown meters are ignored (returns false).
    bool on_event_counts(const EventCounts& counts, std::vector<Event>& out);

    // Time passes with no reading (live: call every second or so). Fires the timers: a silent
    // meter, the end of a series of heats. Also says "the gateway is alive at `now`": a gap in
    // the calls (reading or time) longer than the meters' silence limit is a gateway gap, during
    // which no meter is blamed.
    void on_time(WallMs now, std::vector<Event>& out);

    // A legal state change: emits asset_state_changed and clears alarms that no longer apply.
    // Returns false for an unknown asset.
    bool set_asset_state(std::string_view asset, config::AssetState state, WallMs ts,
                         std::string_view by, std::string_view note, std::vector<Event>& out);

    // What survives a restart: per-meter last values (time, counters, serial), open alarms
    // with their ids and evidence, and conditions on their way to an alarm. Asset states are
    // not in it (the store records those; call set_asset_state after restore).
    nlohmann::json snapshot() const;
    // false when `j` is not a snapshot of this format (the detector is then left as new).
    // Entries for meters, assets or balances no longer in the config are dropped.
    bool restore(const nlohmann::json& j);

    // The alarms open now, as their "raised" events with evidence so far (for status).
    std::vector<Event> open_alarms() const;
    // An asset's current draw estimate (W), NaN when unknown.
    double asset_power(std::string_view asset) const;

    // Convenience forms returning the events.
    std::vector<Event> on_reading(const Reading& reading) {
        std::vector<Event> out;
        on_reading(reading, out);
        return out;
    }
    std::vector<Event> on_health(const HealthChange& change) {
        std::vector<Event> out;
        on_health(change, out);
        return out;
    }
    std::vector<Event> on_event_counts(const EventCounts& counts) {
        std::vector<Event> out;
        on_event_counts(counts, out);
        return out;
    }
    std::vector<Event> on_time(WallMs now) {
        std::vector<Event> out;
        on_time(now, out);
        return out;
    }

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace sealwatch::detect
