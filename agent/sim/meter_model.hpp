#pragma once
// One simulated meter: its power program, the energy counters that integrate it, its serial,
// and every quantity it would measure at a moment. Pure and single-threaded: the caller
// passes simulated time and serialises access (Simulation does).
#include <cstdint>
#include <map>
#include <string>

#include "sim/power_program.hpp"
#include "sim/scenario.hpp"

namespace sealwatch::sim {

using Values = std::map<std::string, double, std::less<>>;  // quantity name -> value

class MeterModel {
  public:
    // start: the simulated time the meter appears (0 at program start; later for a meter added
    // by a reload). Counters start at the spec's values then; earlier events never happen.
    MeterModel(MeterSpec spec, uint64_t seed, double start = 0.0);

    // Integrates the counters up to t and applies one-shot events (swap, counter_reset) with
    // at <= t. Time never goes back: an earlier t is ignored.
    void advance(double t);

    // A new description of the same meter (scenario reloaded at time t): counters, the serial
    // and events already past carry over; a serial changed in the file is taken.
    void respec(MeterSpec spec, double t);

    // Every quantity the meter measures at t (call advance(t) first for current counters).
    Values values(double t) const;

    const MeterSpec& spec() const { return spec_; }
    uint64_t serial() const { return serial_; }
    double e_imp_kwh() const { return imp_kwh_; }
    double e_exp_kwh() const { return exp_kwh_; }
    double power_w(double t) const;

  private:
    void integrate_to(double t);
    double noise(double t) const;

    MeterSpec spec_;
    PowerProgram program_;
    uint64_t seed_;
    uint64_t serial_;
    double imp_kwh_;
    double exp_kwh_;
    double t_ = 0.0;         // counters are integrated up to here
    size_t next_event_ = 0;  // first event not yet applied
};

}  // namespace sealwatch::sim
