#pragma once
// One thread per bus: polls the bus's meters one at a time per the Schedule, decodes each
// answer once into canonical quantities and pushes readings and health changes to the queue.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "modbus/client.hpp"
#include "poll/reading.hpp"
#include "poll/schedule.hpp"

namespace sealwatch::poll {

// Everything needed to poll one meter, resolved from the config once.
struct MeterPlan {
    config::Meter meter;
    profiles::Profile profile;
    std::vector<modbus::Block> blocks;
};

// How often the identity register is read again after first contact, in polls: a swapped meter
// shows within this many polls (and always after the meter was offline).
inline constexpr uint64_t kSerialEveryPolls = 60;

std::vector<MeterPlan> plan_bus(const config::Config& cfg, const config::Bus& bus);
modbus::Client make_client(const config::Bus& bus);

// Where a bus thread hands its output; called on the bus thread.
using Sink = std::function<void(PollOutput)>;

class BusPoller {
  public:
    BusPoller(const config::Bus& bus, std::vector<MeterPlan> meters, Sink out);
    ~BusPoller();  // stops and joins
    BusPoller(const BusPoller&) = delete;
    BusPoller& operator=(const BusPoller&) = delete;

    void start();
    void stop();

    // Polls one meter now (used by the thread; public for tests and commissioning tools).
    struct PollResult {
        Outcome outcome;
        std::string reason;
        Reading reading;
    };
    PollResult poll_once(size_t meter, bool with_serial);

    // The monotonic time by which the bus thread is due to be running again: the next poll's
    // due time while it waits, the start of the poll while it polls. Far behind now means the
    // thread hangs (the agent's health check, agent/daemon/health.hpp). 0 before start.
    MonoNs due_ns() const { return due_ns_.load(std::memory_order_relaxed); }
    const std::string& bus_id() const { return bus_id_; }

  private:
    void run();

    std::string bus_id_;
    modbus::Client client_;
    std::vector<MeterPlan> meters_;
    Sink out_;
    std::unique_ptr<Schedule> schedule_;
    std::vector<bool> need_serial_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::atomic<MonoNs> due_ns_{0};
    std::thread thread_;
};

}  // namespace sealwatch::poll
