#pragma once
// Whether a meter's power values explain the advance of its energy registers (contract, "Energy
// is conserved"). Per meter, over a trailing window: the register's accepted advance against
// the integral of the power-based draw estimate. Where the register counted clearly more than
// the power values explain (a power value frozen, zeroed or falsified while the register
// climbs), the register is the witness: the meter's draw is judged from it, and
// power_register_mismatch says so.
//
// Register resolution and rounding must not look like a mismatch: the unexplained energy must
// exceed several register steps (the smallest advance the register was seen to make, so a
// 0.01 kWh register, a float32 register at 10 GWh and a whole-kWh register each get their
// own floor), the window spans many intervals, and the power values must explain less than
// half of it (sampled power misses at most an interval's worth at each edge of a load).
#include <cmath>
#include <deque>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"

namespace sealwatch::detect {

// What one reading made of the ledger.
struct EnergyVerdict {
    bool judged = false;               // the window was long enough to judge
    bool unexplained = false;          // the register counted more than the power values explain
    double register_kwh = 0;           // over the window
    double power_kwh = 0;              // ... integrated from the power values
    WallMs window = 0;                 // the window's span
    double register_w = std::nan("");  // the draw judged from the register (unexplained only)
};

class EnergyLedger {
  public:
    // A reading at `ts` of a meter read every `interval`: `draw_w` its power-based draw
    // estimate (NaN: no power value this time), `adv_kwh` the register advance accepted with
    // it (counted as draw; 0 when the register did not move or was not read), `continuous`
    // false after a gap (the window starts again: the gap is consumption_while_offline's).
    // `floor_kwh`: the least unexplained energy that counts ([detect] counter_floor_kwh).
    EnergyVerdict update(WallMs ts, double draw_w, double adv_kwh, bool continuous, WallMs interval,
                         double floor_kwh);

    // The latest verdict said the register counted more than the power values explain: the
    // meter's draw is judged from the register.
    bool draw_from_register() const { return unexplained_; }

    // How the power values looked over the latest readings: "zero", "frozen" (the same value
    // at least kFrozenReadings times in a row) or "low" (they move, but explain too little).
    const char* power_values() const;

    // Its part of the detector's snapshot (a meter's "energy" entry).
    nlohmann::ordered_json to_json() const;
    void from_json(const nlohmann::json& j);

    static constexpr int kFrozenReadings = 5;

  private:
    struct Mark {
        WallMs ts = 0;
        double reg = 0, pow = 0;  // the running sums at ts
    };
    void restart(WallMs ts, double draw_w);
    double register_mean_w(WallMs ts, WallMs window, double floor_kwh) const;

    // Running sums (kWh) since the ledger (re)started.
    double reg_ = 0, pow_ = 0;
    WallMs ts_ = 0;  // the latest reading with a power value, and that value
    double w_ = std::nan("");
    int same_n_ = 0;              // readings in a row with exactly that value
    double step_ = std::nan("");  // the smallest positive advance seen: the resolution
    WallMs last_ts_ = 0;          // the previous reading, and the sum then
    double last_reg_ = 0;
    bool unexplained_ = false;
    std::deque<Mark> marks_;  // oldest first, about one per window/30
};

}  // namespace sealwatch::detect
