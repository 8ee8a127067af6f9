#pragma once
// Which misbehaviours are in force for a meter at a moment of simulated time. Pure.
#include <optional>
#include <vector>

#include "sim/scenario.hpp"

namespace sealwatch::sim {

struct ActiveFaults {
    bool silent = false;   // no_answer or offline
    bool offline = false;  // unpowered: counters frozen too
    bool corrupt = false;
    bool garbage = false;
    bool wrong_address = false;
    bool drop_link = false;
    int exception = 0;  // 0 = none
    int slow_ms = 0;
    // What the power values show (the counters always integrate the true program):
    std::optional<double> frozen_at;  // freeze_power: the power of this moment
    std::optional<double> shown_p_w;  // report_p_w: this power
};

// Overlapping windows combine: any silence wins, the largest delay and the first exception
// listed apply; of the windows that make power values lie, the first listed applies.
ActiveFaults active_faults(const std::vector<Fault>& faults, double t);

// True when t lies in an offline window.
bool is_offline(const std::vector<Fault>& faults, double t);

}  // namespace sealwatch::sim
