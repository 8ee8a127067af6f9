#include "sim/pending.hpp"

#include <algorithm>

namespace sealwatch::sim {

std::vector<PendingReply> PendingReplies::take_due(std::chrono::steady_clock::time_point now) {
    std::vector<PendingReply> due;
    auto split = std::stable_partition(items_.begin(), items_.end(),
                                       [&](const PendingReply& r) { return r.due > now; });
    std::move(split, items_.end(), std::back_inserter(due));
    items_.erase(split, items_.end());
    std::stable_sort(due.begin(), due.end(),
                     [](const PendingReply& a, const PendingReply& b) { return a.due < b.due; });
    return due;
}

int PendingReplies::wait_ms(std::chrono::steady_clock::time_point now, int cap) const {
    int best = cap;
    for (const PendingReply& r : items_) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.due - now).count();
        best = std::min<int>(best, static_cast<int>(std::clamp<long long>(ms + 1, 0, cap)));
    }
    return best;
}

void PendingReplies::drop_fd(int fd) {
    items_.erase(std::remove_if(items_.begin(), items_.end(),
                                [fd](const PendingReply& r) { return r.fd == fd; }),
                 items_.end());
}

}  // namespace sealwatch::sim
