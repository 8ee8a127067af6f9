#pragma once
// A meter's own event counts as one read of them found them: the poller hands them on beside
// readings and health changes, the detector compares them with the last known ones
// (detect/event_count_tracker.hpp). Plain values; they cross threads through a queue.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace sealwatch {

struct MeterEventCount {
    std::string identifier;  // the count's (first) data identifier, 8 hex digits: "03300D00"
    std::string event;       // the event an advance raises: "meter_cover_opened", ...
    std::string what;        // what the meter counts, for people: "meter cover opened"
    uint64_t count = 0;      // summed over phases where the meter counts per phase
    // When the meter's latest record of the event says it happened (its own clock, read as
    // the gateway's local time); absent where the meter gives no record time.
    std::optional<WallMs> record_ms;
};

struct EventCounts {
    std::string meter;
    WallMs wall_ms = 0;  // wall clock when the read began
    MonoNs mono_ns = 0;
    std::string family;  // the identifier family the meter answers; empty: only common counts
    std::vector<MeterEventCount> counts;
};

}  // namespace sealwatch
