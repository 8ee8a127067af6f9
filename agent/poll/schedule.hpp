#pragma once
// When to poll which meter of one bus. Pure logic, time passed in: the bus thread asks what is
// next, sleeps until then, polls, and reports the outcome. Meters of a bus are polled strictly
// one at a time (RS-485 is half-duplex), earliest due first, so a slow meter delays the others
// by at most its own timeout per attempt and a dead one backs off instead of eating the bus.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "model/reading.hpp"

namespace sealwatch::poll {

struct MeterTiming {
    std::string id;
    int64_t interval_ms = 1000;
    int offline_after = 3;  // consecutive failures before the meter is offline
    int64_t backoff_max_ms = 30000;
};

enum class Outcome { ok, failed, refused };  // refused: a Modbus exception (alive, misconfigured)

struct MeterStats {
    uint64_t polls = 0;
    uint64_t failures = 0;
    uint64_t refusals = 0;
    int consecutive_failures = 0;
    std::optional<MeterHealth> health;  // unknown until the first outcome
    WallMs health_since_ms = 0;
    WallMs last_ok_ms = 0;
};

class Schedule {
  public:
    // Meters start due at `start` (staggered a little so that a bus does not burst at once).
    Schedule(std::vector<MeterTiming> meters, MonoNs start);

    struct Next {
        size_t meter;
        MonoNs due;
    };
    Next next() const;  // the earliest due meter; ties go to the lower index

    // Records the outcome of polling meter `i` which started at `started`; schedules its next
    // poll. Returns the health change to report, if the meter's health changed.
    std::optional<HealthChange> record(size_t i, Outcome outcome, MonoNs started, WallMs wall,
                                       const std::string& reason = {});

    const MeterStats& stats(size_t i) const { return stats_[i]; }

  private:
    std::vector<MeterTiming> meters_;
    std::vector<MeterStats> stats_;
    std::vector<MonoNs> due_;
    std::vector<int64_t> backoff_ms_;  // wait before the next try of an offline meter
};

}  // namespace sealwatch::poll
