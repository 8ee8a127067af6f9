#pragma once
// furnace_signature: on a shut, sealed or dismantled asset the load looks like induction-
// furnace heats. A heat begins at heat_w and ends when the draw stays below half of it for
// 2 minutes; it counts when it lasted heat_min_s..heat_max_s, held (mean >= half its peak),
// dropped to idle at its end (tapping: the inverter is off, not a fan slowing down) and, where
// current THD is read, was distorted (>= thd_i_min_pct). A stretch the detector did not see
// (the gateway or the meter away) is judged from the energy register across it: a heat goes
// on through it, or ended or began inside it. Heats further apart than heat_gap_max_s start a
// new series; heats_min heats in a series raise, heat_gap_max_s after the last heat clears (a
// timer).
#include <vector>

#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class FurnaceSignature final : public Rule {
  public:
    explicit FurnaceSignature(Site& site) : Rule(site), assets_(site.assets.size()) {}
    void on_reading(const MeterReading& r, Events& out) override;
    void due(Due& due, WallMs& next) override;
    void on_state_change(AssetTrack& asset, Events& out) override;
    void open_alarms(Events& out) const override;
    void snapshot(ojson& j) const override;
    void restore(const nlohmann::json& j) override;

  private:
    struct Heat {
        WallMs start = 0, end = 0;
        double peak_w = 0, energy_kwh = 0, mean_w = 0, thd_i_pct = std::nan(""), night_fraction = 0;
    };
    struct Heats {
        bool in = false;  // a heat in progress
        WallMs start = 0, below_since = -1, prev_ts = 0;
        double prev_v = 0, peak = 0, energy_wh = 0, thd_sum = 0, night_ms = 0;
        double low = 0;  // the lowest draw since below_since
        int thd_n = 0;
        std::vector<Heat> series;  // the counted heats of the current series
        WallMs last_end = -1;
        Alarm alarm;  // raised, id, started only
    };

    size_t index_of(const AssetTrack& a) const;
    void heat_sample(const AssetTrack& a, WallMs ts, double w, double thd, Events& out);
    void start_heat(Heats& h, WallMs start, WallMs ts, double w, double thd);
    // A stretch [from, ts) not seen, over which the registers counted `unseen_wh`.
    void across_unseen(const AssetTrack& a, WallMs from, WallMs ts, double unseen_wh, double w,
                       Events& out);
    // drop_seen: the fall to idle at its end was seen (false: the heat was lost from sight).
    void end_heat(const AssetTrack& a, WallMs end, WallMs ts, bool drop_seen, Events& out);
    void details(ojson& det, const AssetTrack& a) const;
    Event clear(const AssetTrack& a, WallMs ts);

    std::vector<Heats> assets_;  // by asset index
};

}  // namespace sealwatch::detect
