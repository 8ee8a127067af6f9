#include "poll/bus_thread.hpp"

#include <pthread.h>

#include <chrono>

namespace sealwatch::poll {

BusThread::BusThread(const config::Bus& bus, std::vector<MeterPlan> meters, Sink out)
    : reader_(make_reader(bus)),
      poller_(bus.id, *reader_, std::move(meters), std::move(out), system_clock()) {}

BusThread::~BusThread() {
    stop();
}

void BusThread::start() {
    stopping_ = false;
    due_ns_ = mono_now_ns();
    if (poller_.meter_count() > 0) {
        thread_ = std::thread([this] { run(); });
        // Named for top -H, gdb and the health check's messages (15 characters at most).
        pthread_setname_np(thread_.native_handle(),
                           ("sw-bus-" + poller_.bus_id()).substr(0, 15).c_str());
    }
}

void BusThread::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    reader_->disconnect();
}

void BusThread::run() {
    while (true) {
        MonoNs next = poller_.next_due();
        due_ns_.store(next, std::memory_order_relaxed);
        {
            // The poller keeps system_clock() time, whose monotonic clock is steady_clock's.
            std::unique_lock lock(mutex_);
            if (stopping_) return;
            // A meter already due (a sweep of meters whose polls take longer than their spacing)
            // is polled at once: a wait with a deadline in the past is still a futex call.
            auto due = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next));
            if (next > mono_now_ns() && wake_.wait_until(lock, due, [&] { return stopping_; }))
                return;
        }
        due_ns_.store(mono_now_ns(), std::memory_order_relaxed);
        poller_.poll_next();
    }
}

}  // namespace sealwatch::poll
