#pragma once
// A Clock that moves only when the test (or a fake standing in for slow hardware) moves it:
// unit tests of timeouts, backoff and windows run in no real time. Single-threaded use.
#include <chrono>

#include "common/clock.hpp"

namespace sealwatch::test_support {

class ManualClock final : public Clock {
  public:
    // A wall time in 2026 and a monotonic time well above 0 (0 means "never" in places).
    explicit ManualClock(WallMs wall = 1795298400000, MonoNs mono = 1'000'000'000)
        : wall_ms_(wall), mono_ns_(mono) {}

    WallMs wall_ms() const override { return wall_ms_ + (mono_ns_ - mono_start_) / 1000000; }
    MonoNs mono_ns() const override { return mono_ns_; }

    // Both clocks move by d.
    void advance(std::chrono::nanoseconds d) { mono_ns_ += d.count(); }
    // Both clocks move forward to monotonic time t (never back).
    void advance_to(MonoNs t) {
        if (t > mono_ns_) mono_ns_ = t;
    }
    // The wall clock jumps (an NTP step, an RTC set late); the monotonic clock does not.
    void step_wall(std::chrono::milliseconds d) { wall_ms_ += d.count(); }

  private:
    WallMs wall_ms_;
    MonoNs mono_ns_;
    MonoNs mono_start_ = mono_ns_;
};

}  // namespace sealwatch::test_support
