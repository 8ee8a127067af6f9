#include "county/ledger.hpp"

#include <algorithm>
#include <iterator>

namespace sealwatch::county {

SeqLedger::Added SeqLedger::add(uint64_t seq, WallMs now) {
    if (seq == 0) return Added::refused;
    // The range starting at or before seq, if any.
    auto after = ranges_.upper_bound(seq);
    auto before = after == ranges_.begin() ? ranges_.end() : std::prev(after);
    if (before != ranges_.end() && seq <= before->second) return Added::duplicate;
    ++received_;

    const uint64_t last = last_seq();
    if (seq > last) {
        // Beyond everything: a new gap opens when it does not follow on.
        if (seq > last + 1) opened_[last + 1] = now;
    } else {
        // A late arrival inside the gap that starts right after `before` (or at 1).
        const uint64_t gap_first = before == ranges_.end() ? 1 : before->second + 1;
        const uint64_t gap_last = after->first - 1;
        auto it = opened_.find(gap_first);
        const WallMs when = it != opened_.end() ? it->second : now;
        if (it != opened_.end()) opened_.erase(it);
        if (seq > gap_first) opened_[gap_first] = when;  // the part below seq
        if (seq < gap_last) opened_[seq + 1] = when;     // the part above seq
    }

    // Join with the neighbours it touches.
    const bool joins_before = before != ranges_.end() && before->second + 1 == seq;
    const bool joins_after = after != ranges_.end() && after->first == seq + 1;
    if (joins_before && joins_after) {
        before->second = after->second;
        ranges_.erase(after);
    } else if (joins_before) {
        before->second = seq;
    } else if (joins_after) {
        const uint64_t end = after->second;
        ranges_.erase(after);
        ranges_.emplace(seq, end);
    } else {
        ranges_.emplace(seq, seq);
    }
    return Added::fresh;
}

uint64_t SeqLedger::last_seq() const {
    return ranges_.empty() ? 0 : ranges_.rbegin()->second;
}

uint64_t SeqLedger::received() const {
    return received_;
}

uint64_t SeqLedger::missing() const {
    return last_seq() - received_;
}

std::vector<SeqRange> SeqLedger::ranges() const {
    std::vector<SeqRange> out;
    for (const auto& [first, last] : ranges_) out.push_back({first, last});
    return out;
}

std::vector<SeqGap> SeqLedger::gaps() const {
    std::vector<SeqGap> out;
    uint64_t next = 1;
    for (const auto& [first, last] : ranges_) {
        if (first > next) {
            auto it = opened_.find(next);
            out.push_back({next, first - 1, it != opened_.end() ? it->second : 0});
        }
        next = last + 1;
    }
    return out;
}

SeqLedger SeqLedger::restore(const std::vector<SeqRange>& ranges, const std::vector<SeqGap>& gaps,
                             WallMs now) {
    SeqLedger l;
    for (const auto& r : ranges) {
        if (r.first == 0 || r.last < r.first) continue;
        l.ranges_[r.first] = r.last;
    }
    // Merge what overlaps or touches, and count.
    std::map<uint64_t, uint64_t> merged;
    for (const auto& [first, last] : l.ranges_) {
        if (!merged.empty() && first <= merged.rbegin()->second + 1) {
            merged.rbegin()->second = std::max(merged.rbegin()->second, last);
        } else {
            merged.emplace(first, last);
        }
    }
    l.ranges_ = std::move(merged);
    for (const auto& [first, last] : l.ranges_) l.received_ += last - first + 1;
    std::map<uint64_t, WallMs> given;
    for (const auto& g : gaps) given[g.first] = g.opened;
    for (const auto& g : l.gaps()) {
        auto it = given.find(g.first);
        l.opened_[g.first] = it != given.end() && it->second != 0 ? it->second : now;
    }
    return l;
}

}  // namespace sealwatch::county
