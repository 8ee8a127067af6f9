// The bus schedule with time moved by the test: no sleeps.
#include <gtest/gtest.h>

#include "poll/schedule.hpp"

using namespace sealwatch;
using namespace sealwatch::poll;

namespace {
constexpr int64_t ms = 1000000;  // ns per ms

// Drives a schedule for `until` ns of simulated time: each poll of meter i takes cost[i] ns and
// ends with outcome[i]. Returns the start times of each meter's polls.
std::vector<std::vector<int64_t>> drive(Schedule& s, const std::vector<int64_t>& cost,
                                        const std::vector<Outcome>& outcome, int64_t until) {
    std::vector<std::vector<int64_t>> starts(cost.size());  // one cost per meter
    int64_t now = 0;
    while (true) {
        auto next = s.next();
        now = std::max(now, next.due);
        if (now >= until) break;
        starts[next.meter].push_back(now);
        s.record(next.meter, outcome[next.meter], now, now / ms);
        now += cost[next.meter];
    }
    return starts;
}
}  // namespace

TEST(Schedule, EachMeterAtItsOwnInterval) {
    Schedule s({{"a", 1000, 3, 30000}, {"b", 250, 3, 30000}}, 0);
    auto starts = drive(s, {5 * ms, 5 * ms}, {Outcome::ok, Outcome::ok}, 10000 * ms);
    EXPECT_EQ(starts[0].size(), 10u);
    EXPECT_EQ(starts[1].size(), 40u);
    for (size_t i = 1; i < starts[0].size(); ++i)
        EXPECT_EQ(starts[0][i] - starts[0][i - 1], 1000 * ms);
}

TEST(Schedule, DeadMeterBacksOffAndDoesNotStarveOthers) {
    // Meter "dead" costs an 800 ms timeout each try; three healthy meters poll every second.
    Schedule s({{"dead", 1000, 3, 30000},
                {"a", 1000, 3, 30000},
                {"b", 1000, 3, 30000},
                {"c", 1000, 3, 30000}},
               0);
    auto starts = drive(s, {800 * ms, 10 * ms, 10 * ms, 10 * ms},
                        {Outcome::failed, Outcome::ok, Outcome::ok, Outcome::ok}, 120000 * ms);
    // After 3 failures the dead meter is tried at 2, 4, 8, 16, 30, 30... s.
    EXPECT_LE(starts[0].size(), 3u + 7u);
    EXPECT_EQ(s.stats(0).health, MeterHealth::offline);
    for (size_t m = 1; m <= 3; ++m) {
        EXPECT_GE(starts[m].size(), 118u) << "meter " << m;
        // Never more than one interval plus one timeout late.
        for (size_t i = 1; i < starts[m].size(); ++i)
            EXPECT_LE(starts[m][i] - starts[m][i - 1], 1000 * ms + 800 * ms);
    }
}

TEST(Schedule, HealthChangesReportedOnce) {
    Schedule s({{"m", 1000, 3, 30000}}, 0);
    EXPECT_FALSE(s.record(0, Outcome::ok, 0, 0));  // first online is not news
    EXPECT_FALSE(s.record(0, Outcome::failed, 1000 * ms, 1000));
    EXPECT_FALSE(s.record(0, Outcome::failed, 2000 * ms, 2000));
    auto off = s.record(0, Outcome::failed, 3000 * ms, 3000);
    ASSERT_TRUE(off);
    EXPECT_EQ(off->health, MeterHealth::offline);
    EXPECT_FALSE(s.record(0, Outcome::failed, 5000 * ms, 5000));
    auto on = s.record(0, Outcome::ok, 9000 * ms, 9000);
    ASSERT_TRUE(on);
    EXPECT_EQ(on->health, MeterHealth::online);
    EXPECT_EQ(s.next().due, 10000 * ms);
    // The backoff starts over: offline again, the next try is two intervals away, not 8 s.
    EXPECT_FALSE(s.record(0, Outcome::failed, 10000 * ms, 10000));
    EXPECT_FALSE(s.record(0, Outcome::failed, 11000 * ms, 11000));
    ASSERT_TRUE(s.record(0, Outcome::failed, 12000 * ms, 12000));
    EXPECT_EQ(s.next().due, 14000 * ms);
}

TEST(Schedule, RefusingMeterIsAliveButMisconfigured) {
    Schedule s({{"m", 1000, 3, 30000}}, 0);
    auto c = s.record(0, Outcome::refused, 0, 0, "exception 2");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->health, MeterHealth::misconfigured);
    EXPECT_EQ(s.next().due, 1000 * ms);  // keeps its rate: it is not offline
}

TEST(Schedule, SlowBusSkipsMissedSlotsInsteadOfBursting) {
    Schedule s({{"m", 100, 3, 30000}}, 0);
    s.record(0, Outcome::ok, 0, 0);
    // The poll that started at 100 ms took 450 ms.
    s.record(0, Outcome::ok, 550 * ms, 550);
    EXPECT_EQ(s.next().due, 600 * ms);
}
