#pragma once
// Is the agent healthy? Polling, storing and uplinking must each make progress; only then are
// the hardware watchdog and systemd's watchdog fed (OpenWrt procd's rule: feed from the main
// loop, so a hung loop stops feeding). Pure: the main loop reports what happened and asks at
// its monotonic `now`.
//
// What is not a stall: a dead meter (the bus thread keeps trying, with backoff), a broker that
// is down (the link keeps reconnecting; data waits in the outbox), a full disk (readings and
// events wait in memory: the main loop reports it as no failure). Rebooting would not help
// either. What is: a bus thread stuck in one poll, a store that refuses every write, messages
// handed to a connected broker and never acknowledged.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"

namespace sealwatch::daemon {

class Health {
  public:
    explicit Health(int64_t stall_ms) : stall_ns_(stall_ms * 1000000) {}

    // Each bus and the time its thread is due to run again (poll::BusThread::due_ns).
    void buses(std::vector<std::pair<std::string, MonoNs>> due) { buses_ = std::move(due); }
    void store_result(bool ok, MonoNs now);
    void link_connected(bool connected, MonoNs now);
    void acked(MonoNs now);
    void in_flight(size_t n, MonoNs now);

    // Why the agent is not healthy, or nullopt when it is.
    std::optional<std::string> problem(MonoNs now) const;

  private:
    int64_t stall_ns_;
    std::vector<std::pair<std::string, MonoNs>> buses_;
    std::optional<MonoNs> store_failing_since_;
    bool connected_ = false;
    size_t in_flight_ = 0;
    MonoNs waiting_since_ = 0;  // since when acknowledgements have been awaited
};

}  // namespace sealwatch::daemon
