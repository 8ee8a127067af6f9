#pragma once
// Simulated time: seconds since the simulator started, running `speed` times faster than the
// monotonic clock. Immutable after construction, so every thread may read it. The simulated
// meters' clocks start at the wall-clock time of the start (wall_origin) and run in simulated
// time: an event scripted at t is recorded at wall_origin + t.
#include <chrono>

namespace sealwatch::sim {

class SimClock {
  public:
    explicit SimClock(double speed)
        : speed_(speed),
          start_(std::chrono::steady_clock::now()),
          wall_origin_(
              std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                  .count()) {}
    double now() const {
        std::chrono::duration<double> real = std::chrono::steady_clock::now() - start_;
        return real.count() * speed_;
    }
    double speed() const { return speed_; }
    double wall_origin() const { return wall_origin_; }  // Unix seconds

  private:
    double speed_;
    std::chrono::steady_clock::time_point start_;
    double wall_origin_;
};

}  // namespace sealwatch::sim
