#pragma once
// Time, the two kinds: wall-clock time for timestamps (it may jump: a gateway often boots with
// no RTC and is set later), monotonic time for intervals and durations (it never jumps).
// Times are plain integers so that they pass through queues, SQLite and JSON unchanged.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sealwatch {

using WallMs = int64_t;  // milliseconds since the Unix epoch, UTC
using MonoNs = int64_t;  // nanoseconds of CLOCK_MONOTONIC

WallMs wall_now_ms();
MonoNs mono_now_ns();

// The two clocks behind one interface, for the parts that keep time (the bus poller, the main
// loop): the machine's clocks in the programs, a clock moved by hand in unit tests
// (tests/support/manual_clock.hpp), so that a test of backoff or timeouts does not sleep.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual WallMs wall_ms() const = 0;
    virtual MonoNs mono_ns() const = 0;
};

// The machine's clocks (wall_now_ms, mono_now_ns); one instance, safe from any thread.
const Clock& system_clock();

// RFC 3339 in UTC with milliseconds: "2026-11-21T22:00:00.123Z".
std::string format_rfc3339(WallMs t);
// Local time for people to read, to the second, with its offset: "2026-11-22 06:00:00 +08:00".
// Machine formats (JSON, CSV, the chain) stay in UTC (format_rfc3339).
std::string format_local(WallMs t, int offset_s);
// RFC 3339 with any offset ("2026-11-21T22:00:00+08:00", fractions optional) or Unix seconds.
std::optional<WallMs> parse_time(std::string_view text);

}  // namespace sealwatch
