#pragma once
// The county office's proof that nothing is missing (docs/protocol.md, "seq"): for one gateway,
// the seq numbers received, kept as inclusive ranges, so a billion messages in order cost one
// range; the gaps between them (never received), each with when it opened. Pure: time is passed
// in, storage is the caller's (ranges() and gaps() are what to store, restore() takes them back).
//
// seq starts at 1. A gap opens when a seq arrives beyond the last one + 1; a late arrival
// closes it (or splits it: both halves keep the time the gap opened); a duplicate changes
// nothing (QoS 1 may deliver a message twice).
#include <cstdint>
#include <map>
#include <vector>

#include "common/clock.hpp"

namespace sealwatch::county {

struct SeqRange {
    uint64_t first = 0, last = 0;  // inclusive
    bool operator==(const SeqRange&) const = default;
};

struct SeqGap {
    uint64_t first = 0, last = 0;  // inclusive: never received
    WallMs opened = 0;             // when a later seq showed it missing
    bool operator==(const SeqGap&) const = default;
};

class SeqLedger {
  public:
    enum class Added { fresh, duplicate, refused };
    // `refused` for seq 0 (no gateway sends it).
    Added add(uint64_t seq, WallMs now);

    uint64_t last_seq() const;  // highest received, 0 for none
    uint64_t received() const;  // how many distinct seqs
    uint64_t missing() const;   // how many seqs in gaps
    std::vector<SeqRange> ranges() const;
    std::vector<SeqGap> gaps() const;  // in seq order

    // From what ranges() and gaps() gave; gaps not between the ranges are ignored, and a
    // missing opening time is `now`.
    static SeqLedger restore(const std::vector<SeqRange>& ranges, const std::vector<SeqGap>& gaps,
                             WallMs now);

  private:
    std::map<uint64_t, uint64_t> ranges_;  // first -> last, disjoint, not adjacent
    std::map<uint64_t, WallMs> opened_;    // first seq of a gap -> when it opened
    uint64_t received_ = 0;
};

}  // namespace sealwatch::county
