#pragma once
// Simulated time: seconds since the simulator started, running `speed` times faster than the
// monotonic clock. Immutable after construction, so every thread may read it.
#include <chrono>

namespace sealwatch::sim {

class SimClock {
  public:
    explicit SimClock(double speed) : speed_(speed), start_(std::chrono::steady_clock::now()) {}
    double now() const {
        std::chrono::duration<double> real = std::chrono::steady_clock::now() - start_;
        return real.count() * speed_;
    }
    double speed() const { return speed_; }

  private:
    double speed_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace sealwatch::sim
