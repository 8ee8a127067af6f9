#pragma once
// Answers held back by a slow_ms fault, in due order, so one slow meter delays only itself.
#include <chrono>
#include <cstdint>
#include <vector>

namespace sealwatch::sim {

struct PendingReply {
    std::chrono::steady_clock::time_point due;
    int fd = -1;
    std::vector<uint8_t> bytes;
};

class PendingReplies {
  public:
    void add(PendingReply reply) { items_.push_back(std::move(reply)); }
    // Replies due by now, removed from the queue, oldest first.
    std::vector<PendingReply> take_due(std::chrono::steady_clock::time_point now);
    // Milliseconds until the next one is due (clamped to 0..cap), or cap when none waits.
    int wait_ms(std::chrono::steady_clock::time_point now, int cap) const;
    void drop_fd(int fd);

  private:
    std::vector<PendingReply> items_;
};

}  // namespace sealwatch::sim
