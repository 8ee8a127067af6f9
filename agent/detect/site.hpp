#pragma once
// The site as the detector sees it, shared by the core and every rule: the meters (last
// reading time, energy registers, identity, draw estimate) and the assets (state, the
// thresholds that follow from the config, their meters), and the detector's clock. The core
// (detector.cpp) keeps it up to date; rules read it and keep their own state beside it.
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "detect/alarm.hpp"
#include "detect/counter.hpp"
#include "detect/energy_ledger.hpp"
#include "detect/timezone.hpp"

namespace sealwatch::detect {

struct MeterTrack {
    std::string id;
    int asset = -1;  // index in Site::assets, -1 when the meter feeds no asset
    WallMs interval = 1000, silence = 180'000;
    Timing timing;  // for the meter's own conditions when it feeds no asset
    bool seen = false;
    WallMs last_ts = 0;
    double draw = std::nan("");   // latest draw estimate, W
    double p_net = std::nan("");  // latest signed p_w (or register mean)
    Counter imp, exp;
    EnergyLedger energy;  // do its power values explain its registers?
    std::string serial;
};

struct AssetTrack {
    const config::Asset* cfg = nullptr;
    config::AssetState state = config::AssetState::operating;
    // Levels from the config: reenergized raise/clear, production raise/clear, a heat.
    double raise_w = 0, clear_w = 0, production_w = 0, prod_clear_w = 0, heat_w = 0;
    Timing timing;  // min_on: the time floor of its slowest meter (Site::time_floor)
    bool export_allowed = false;
    std::vector<int> meters;
    double draw = std::nan("");  // at the latest reading of one of its meters
};

inline bool closed(config::AssetState s) {
    return s == config::AssetState::sealed || s == config::AssetState::dismantled;
}
inline bool restricted(config::AssetState s) {
    return closed(s) || s == config::AssetState::shut;
}

struct Site {
    explicit Site(const config::Config& c, TimeZone z);

    const config::Config& cfg;
    const config::Detect& d;
    TimeZone tz;
    std::vector<MeterTrack> meters;
    std::vector<AssetTrack> assets;
    std::unordered_map<std::string_view, int> meter_by_id;

    static constexpr WallMs kNever = std::numeric_limits<WallMs>::min();
    WallMs now = kNever;         // the detector's clock: the latest time handed to it
    WallMs last_alive = kNever;  // the latest reading or on_time call
    WallMs resume = kNever;      // when the gateway came back after its own absence
    WallMs gw_gap = 180'000;     // a longer pause in the calls is the gateway's absence
    WallMs next_deadline = kNever;

    int index(std::string_view meter_id) const;  // -1 when not configured
    MeterTrack& meter(int index) { return meters[static_cast<size_t>(index)]; }
    const MeterTrack& meter(int index) const { return meters[static_cast<size_t>(index)]; }
    AssetTrack* asset_of(const MeterTrack& m);
    const AssetTrack* asset_of(const MeterTrack& m) const;
    config::AssetState state_of(const MeterTrack& m) const;  // operating without an asset
    std::string asset_id(const MeterTrack& m) const;         // "" without an asset
    const Timing& timing_of(const MeterTrack& m) const;

    // How many evaluations in a row confirm a condition (and its end) on meters read every
    // `interval`: [detect] min_samples where set; else 2 at intervals up to kFastPollMs (the
    // contract's "two polls + 1 s" at 1 s polling: a one-sample spike still stays silent) and
    // 3 above (1-minute data: a two-sample spike, two minutes of a welder, stays silent too).
    static constexpr WallMs kFastPollMs = 5000;
    int samples_to_confirm(WallMs interval) const;
    // A condition raises after samples_to_confirm evaluations in a row spanning at least this:
    // the span of that many readings at `interval` less half an interval (polling jitter), and
    // at least [detect] min_on_s. It scales with the interval, so 1 s polling confirms in
    // seconds and 1-minute data in minutes; a spike on one meter of an asset with several
    // (evaluated at each of their readings) lasts less than an interval and stays silent.
    WallMs time_floor(WallMs interval, std::optional<int> min_on_s) const;

    std::string make_id(std::string_view type, std::string_view subject, WallMs started) const;

    // An asset's draw: the sum of its meters' estimates heard within their silence limit;
    // NaN when none is.
    double asset_draw(const AssetTrack& a) const;
    // Energy witnessed by an asset's registers (kWh, import + export when export is not
    // allowed); NaN unless every meter of the asset has a valid register.
    double asset_counter(const AssetTrack& a) const;
    bool night(WallMs t) const;  // in the local night hours of [detect]

    WallMs silence_deadline(const MeterTrack& m) const {
        return std::max(m.last_ts, resume) + m.silence;
    }
    // A rule's timer: the core scans the rules' deadlines once `now` passes the earliest.
    void wake_at(WallMs deadline) { next_deadline = std::min(next_deadline, deadline); }
};

}  // namespace sealwatch::detect
