#pragma once
// A condition on its way to an alarm and the alarm while it is open: hysteresis (the rule
// evaluates its condition against the raise or the clear level), minimum durations and sample
// counts both ways, and the evidence gathered since the condition began. Every timed rule
// (reenergized, production_suspected, reverse_energy, phase_loss) and the plain alarms
// (meter_offline, furnace_signature, unmetered_load: id and times only) keep one.
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"

namespace sealwatch::detect {

struct Alarm {
    bool raised = false;
    std::string id;
    WallMs started = 0;
    WallMs on_since = -1;  // first sample of a pending condition
    int on_n = 0;
    WallMs off_since = -1;  // first sample below, while raised
    int off_n = 0;
    double peak = 0;
    double energy_wh = 0;
    WallMs first_ts = 0, last_ts = 0;
    double first_v = 0, last_v = 0;
    double counter0 = std::nan("");  // witness counter (kWh) when the condition began
    bool from_register = false;      // the draw was judged from the register (power values lied)

    bool active() const { return raised || on_since >= 0; }

    // Its part of the detector's snapshot (format sealwatch-detector/1).
    nlohmann::ordered_json to_json() const;
    void from_json(const nlohmann::json& j);
};

// How long a condition must hold (and be gone) before it raises (clears).
struct Timing {
    WallMs min_on = 60'000;
    WallMs min_off = 1'800'000;
    int min_samples = 3;
    WallMs gap = 180'000;  // samples further apart than this are not continuous
};

enum class Step { none, raise, clear };

// One evaluation of `cond` at `ts` with the value `v` (the evidence: peak, energy, first and
// last reading). Says when the alarm raises or clears; the rule makes the event.
Step step(Alarm& a, bool cond, WallMs ts, double v, const Timing& t);

}  // namespace sealwatch::detect
