#pragma once
// An energy register as the detector believes it, with glitches held back: a step backwards,
// or a step implying more than max_power_w, is believed only when the next reading agrees
// with it (a row of zeros or a garbage register is then dropped: the register did not move,
// the next reading's advance is counted from the old value, nothing is lost). A believed step
// is reported (rollback, jumped), never taken silently. The witness that cannot be
// hidden: consumption_while_offline, counter_rollback and the energy evidence read it.
#include <nlohmann/json.hpp>

#include "common/clock.hpp"

namespace sealwatch::detect {

inline constexpr double kKwhMsToW = 3.6e9;  // kWh per ms -> W

struct Counter {
    bool valid = false;
    double value = 0;  // kWh, the believed value
    WallMs ts = 0;     // ... read at this time
    bool pending = false;
    double pv = 0;  // a reading held back, and its time
    WallMs pts = 0;

    struct Result {
        double delta = 0;  // accepted advance (kWh)
        WallMs from = 0;   // ... since this time
        bool advanced = false;
        bool rollback = false;  // confirmed: `from_value` -> `to_value` at `from`
        // Confirmed: a step forward implying more than max_power_w, `from_value` -> `to_value`
        // at `jump_at`. Not consumption (a new baseline), but never dropped without a word: the
        // caller reports it (power_register_mismatch). The advance after it counts as usual.
        bool jumped = false;
        WallMs jump_at = 0, jump_prev = 0;  // the first reading off the track, the one before
        double from_value = 0, to_value = 0;
    };

    // A reading `v` (kWh) at `t`; `tol`: the rollback tolerance (kWh).
    Result update(double v, WallMs t, double tol, double max_w);

    // Its part of the detector's snapshot: null while not valid.
    nlohmann::ordered_json to_json() const;
    void from_json(const nlohmann::json& j);
};

}  // namespace sealwatch::detect
