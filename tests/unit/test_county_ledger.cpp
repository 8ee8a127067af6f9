// The county's seq ledger (county/ledger.hpp): ranges that merge, gaps that open with a time,
// close on a late arrival or split, duplicates that change nothing, and a billion in-order
// messages that cost one range.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "county/ledger.hpp"

using namespace sealwatch;
using namespace sealwatch::county;

namespace {

std::vector<SeqRange> R(std::initializer_list<SeqRange> r) {
    return r;
}

}  // namespace

TEST(CountyLedger, InOrderIsOneRangeAndNoGap) {
    SeqLedger l;
    for (uint64_t s = 1; s <= 1000; ++s) ASSERT_EQ(l.add(s, 10), SeqLedger::Added::fresh);
    EXPECT_EQ(l.ranges(), R({{1, 1000}}));
    EXPECT_TRUE(l.gaps().empty());
    EXPECT_EQ(l.received(), 1000u);
    EXPECT_EQ(l.missing(), 0u);
    EXPECT_EQ(l.last_seq(), 1000u);
}

TEST(CountyLedger, ABillionMessagesCostOneRange) {
    auto l = SeqLedger::restore({{1, 999'999'999}}, {}, 0);
    EXPECT_EQ(l.add(1'000'000'000, 5), SeqLedger::Added::fresh);
    EXPECT_EQ(l.ranges(), R({{1, 1'000'000'000}}));
    EXPECT_EQ(l.received(), 1'000'000'000u);
}

TEST(CountyLedger, AJumpOpensAGapWithItsTime) {
    SeqLedger l;
    l.add(1, 100);
    l.add(2, 100);
    l.add(6, 200);
    EXPECT_EQ(l.ranges(), R({{1, 2}, {6, 6}}));
    ASSERT_EQ(l.gaps().size(), 1u);
    EXPECT_EQ(l.gaps()[0], (SeqGap{3, 5, 200}));
    EXPECT_EQ(l.missing(), 3u);
}

TEST(CountyLedger, FirstMessagesMissingIsAGapFromOne) {
    SeqLedger l;
    l.add(4, 50);
    ASSERT_EQ(l.gaps().size(), 1u);
    EXPECT_EQ(l.gaps()[0], (SeqGap{1, 3, 50}));
}

TEST(CountyLedger, LateArrivalsCloseAGapFromEitherEndAndSplitItInTheMiddle) {
    SeqLedger l;
    l.add(1, 0);
    l.add(10, 100);  // gap 2..9 opened at 100
    l.add(5, 300);   // splits it: both halves keep 100
    EXPECT_EQ(l.gaps(), (std::vector<SeqGap>{{2, 4, 100}, {6, 9, 100}}));
    l.add(2, 400);  // from the bottom
    l.add(9, 400);  // from the top
    EXPECT_EQ(l.gaps(), (std::vector<SeqGap>{{3, 4, 100}, {6, 8, 100}}));
    for (uint64_t s : {3u, 4u, 6u, 7u, 8u}) l.add(s, 500);
    EXPECT_TRUE(l.gaps().empty());
    EXPECT_EQ(l.ranges(), R({{1, 10}}));
    EXPECT_EQ(l.missing(), 0u);
}

TEST(CountyLedger, DuplicatesChangeNothing) {
    SeqLedger l;
    for (uint64_t s : {1u, 2u, 3u, 7u}) l.add(s, 1);
    auto ranges = l.ranges();
    auto gaps = l.gaps();
    for (uint64_t s : {1u, 2u, 3u, 7u}) EXPECT_EQ(l.add(s, 99), SeqLedger::Added::duplicate) << s;
    EXPECT_EQ(l.ranges(), ranges);
    EXPECT_EQ(l.gaps(), gaps);
    EXPECT_EQ(l.received(), 4u);
    EXPECT_EQ(l.add(0, 1), SeqLedger::Added::refused);
}

TEST(CountyLedger, RestoreGivesBackTheSameLedger) {
    SeqLedger l;
    for (uint64_t s : {1u, 2u, 5u, 6u, 9u, 20u}) l.add(s, static_cast<WallMs>(s) * 10);
    auto back = SeqLedger::restore(l.ranges(), l.gaps(), 12345);
    EXPECT_EQ(back.ranges(), l.ranges());
    EXPECT_EQ(back.gaps(), l.gaps());
    EXPECT_EQ(back.received(), l.received());
    // Overlapping or touching ranges are merged; an unknown gap opens now.
    auto merged = SeqLedger::restore({{1, 3}, {2, 5}, {6, 6}, {9, 9}}, {}, 777);
    EXPECT_EQ(merged.ranges(), R({{1, 6}, {9, 9}}));
    EXPECT_EQ(merged.received(), 7u);
    EXPECT_EQ(merged.gaps(), (std::vector<SeqGap>{{7, 8, 777}}));
}

TEST(CountyLedger, AnyArrivalOrderEndsAsTheSetReceived) {
    // Shuffled delivery with duplicates and some seqs withheld: the ledger agrees with a set.
    std::mt19937 rng(11);
    std::vector<uint64_t> seqs;
    for (uint64_t s = 1; s <= 2000; ++s)
        if (s % 97 != 0) seqs.push_back(s);
    for (int i = 0; i < 300; ++i) seqs.push_back(seqs[rng() % seqs.size()]);
    std::shuffle(seqs.begin(), seqs.end(), rng);
    SeqLedger l;
    std::set<uint64_t> seen;
    for (auto s : seqs) {
        auto added = l.add(s, 1);
        EXPECT_EQ(added == SeqLedger::Added::fresh, seen.insert(s).second) << s;
    }
    EXPECT_EQ(l.received(), seen.size());
    EXPECT_EQ(l.last_seq(), *seen.rbegin());
    uint64_t gap_total = 0;
    for (const auto& g : l.gaps()) {
        for (auto s = g.first; s <= g.last; ++s) EXPECT_EQ(seen.count(s), 0u) << s;
        EXPECT_EQ(g.first % 97, 0u);
        gap_total += g.last - g.first + 1;
    }
    EXPECT_EQ(gap_total, l.missing());
    EXPECT_EQ(l.missing(), *seen.rbegin() / 97);
}
