#pragma once
// Unclean stops and the wall clock, as pure functions of stamps (the I/O is in appliance.cpp).
//
// The agent keeps a stamp "alive at" (wall and monotonic time, the kernel's boot id) in the
// store's meta table, refreshed every few seconds, and the meta "running" flag is 1 while it
// runs. Found at 1 at start-up, the last run ended uncleanly (power cut, watchdog reset, crash,
// kill -9): a power_restored event says when it was last alive and how long it was away.
//   same boot id: the process died, the machine did not; the monotonic clock gives the
//                 downtime exactly, whatever the wall clock did.
//   new boot id:  the machine restarted; the downtime is wall now minus wall then, which is
//                 only meaningful once the wall clock is synchronised (a gateway with no RTC
//                 boots at some old time), so the event waits for synchronisation (up to a
//                 limit) and says whether the estimate is trustworthy.
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "model/event.hpp"

namespace sealwatch::daemon {

struct AliveStamp {
    WallMs wall_ms = 0;
    MonoNs mono_ns = 0;
    std::string boot_id;
    int64_t boot = 0;  // the agent's run counter (meta "boot")
    bool clock_synced = false;
};

std::string to_json(const AliveStamp& s);
std::optional<AliveStamp> alive_from_json(const std::string& text);

// What is known at start-up.
struct StartFacts {
    WallMs wall_ms = 0;  // the wall time of the start, as best known now (see start_wall)
    MonoNs mono_ns = 0;
    std::string boot_id;
    int64_t boot = 0;
    bool clock_synced = false;
    bool watchdog_reset = false;  // the hardware watchdog says it caused the last reset
};

// The start's wall time seen from a later moment: the clock may have been set since.
inline WallMs start_wall(MonoNs start_mono, WallMs wall_now, MonoNs mono_now) {
    return wall_now - (mono_now - start_mono) / 1000000;
}

// The power_restored event. `last` is the last alive stamp (nullopt: none was written, the
// agent died within its first seconds); `alive_every_s` bounds how stale the stamp may be.
Event power_restored(const std::string& gateway, const std::optional<AliveStamp>& last,
                     const StartFacts& start, int alive_every_s);

// Wall-clock jumps: the wall clock should advance as the monotonic one does; a difference
// beyond the threshold between two checks is a jump (NTP stepping the clock, the first sync
// of a gateway with no RTC, someone running `date -s`). Slewing (< 0.05 %) stays far below.
class ClockWatch {
  public:
    explicit ClockWatch(int64_t threshold_ms) : threshold_ms_(threshold_ms) {}
    // The jump in ms (positive: the wall clock went forward) since the last check, if any.
    std::optional<int64_t> check(WallMs wall, MonoNs mono);

  private:
    int64_t threshold_ms_;
    bool have_ = false;
    WallMs wall_ = 0;
    MonoNs mono_ = 0;
};

Event clock_jump(const std::string& gateway, int64_t jump_ms, WallMs wall_now, bool synced_now);

}  // namespace sealwatch::daemon
