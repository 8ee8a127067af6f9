#pragma once
// Active power over simulated time, as the scenario describes it: steps and ramps plus
// furnace heats on top. Piecewise linear, so energy integrates exactly. Pure: time is a
// parameter (seconds since the simulator started).
#include <vector>

#include "sim/scenario.hpp"

namespace sealwatch::sim {

struct EnergyWs {
    double imported = 0.0;  // watt-seconds drawn from the grid (power > 0)
    double exported = 0.0;  // watt-seconds fed back (power < 0), positive
};

class PowerProgram {
  public:
    PowerProgram() = default;
    PowerProgram(const std::vector<Segment>& program, std::vector<Heat> heats);

    // Power in W at time t (after any step at exactly t). No noise.
    double power_at(double t) const;
    // True while a heat ramps, holds or drops at t.
    bool heat_running(double t) const;
    // Exact integral of power over [t0, t1], split by sign.
    EnergyWs integrate(double t0, double t1) const;

  private:
    struct Point {
        double t;
        double w;
    };
    double program_at(double t) const;
    static double heat_at(const Heat& h, double t);
    void breakpoints(double t0, double t1, std::vector<double>& out) const;

    std::vector<Point> points_;  // linear between points; equal times make a step
    std::vector<Heat> heats_;
};

}  // namespace sealwatch::sim
