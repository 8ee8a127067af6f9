#pragma once
// A multi-producer, single-consumer queue: how data moves between threads. No other state is
// shared between the bus threads and the thread that stores and judges readings.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace sealwatch::poll {

template <typename T>
class Queue {
  public:
    void push(T item) {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }

    // Waits up to `timeout` for an item. A zero timeout only looks: a wait with a deadline that
    // has already passed is still a futex call, and the consumer's "take what is already there"
    // ends with one at every wake-up.
    std::optional<T> pop(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        if (timeout.count() <= 0 ? items_.empty()
                                 : !ready_.wait_for(lock, timeout, [&] { return !items_.empty(); }))
            return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

    size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
};

}  // namespace sealwatch::poll
