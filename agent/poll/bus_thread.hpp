#pragma once
// One thread per bus: runs the bus's BusPoller in real time, sleeping until each poll is due.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "poll/bus_poller.hpp"

namespace sealwatch::poll {

class BusThread {
  public:
    BusThread(const config::Bus& bus, std::vector<MeterPlan> meters, Sink out);
    ~BusThread();  // stops and joins
    BusThread(const BusThread&) = delete;
    BusThread& operator=(const BusThread&) = delete;

    void start();
    void stop();

    // The monotonic time by which the bus thread is due to be running again: the next poll's
    // due time while it waits, the start of the poll while it polls. Far behind now means the
    // thread hangs (the agent's health check, agent/daemon/health.hpp). 0 before start.
    MonoNs due_ns() const { return due_ns_.load(std::memory_order_relaxed); }
    const std::string& bus_id() const { return poller_.bus_id(); }

  private:
    void run();

    std::unique_ptr<MeterReader> reader_;
    BusPoller poller_;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::atomic<MonoNs> due_ns_{0};
    std::thread thread_;
};

}  // namespace sealwatch::poll
