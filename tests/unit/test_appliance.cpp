// The appliance's pure parts: health (when to stop feeding the watchdog), unclean-stop and
// downtime estimates (power_restored), wall-clock jumps (clock_jump), and the [board] table.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "daemon/health.hpp"
#include "daemon/power.hpp"
#include "model/event.hpp"

using namespace sealwatch;
using namespace sealwatch::daemon;

namespace {
constexpr int64_t kS = 1000000000;  // ns per second
}

TEST(Health, HealthyWithNothingToDo) {
    Health h(10000);
    EXPECT_FALSE(h.problem(100 * kS));
}

TEST(Health, BusThreadPastItsDueTimeIsAStall) {
    Health h(10000);
    h.buses({{"rs485-1", 100 * kS}, {"lan", 105 * kS}});
    EXPECT_FALSE(h.problem(109 * kS));  // waiting for its next poll, or polling: fine
    EXPECT_FALSE(h.problem(110 * kS));
    auto p = h.problem(111 * kS);
    ASSERT_TRUE(p);
    EXPECT_NE(p->find("rs485-1"), std::string::npos);
    h.buses({{"rs485-1", 111 * kS}, {"lan", 111 * kS}});  // it turned again
    EXPECT_FALSE(h.problem(112 * kS));
}

TEST(Health, BusWaitingForAFarPollIsNotAStall) {
    Health h(10000);
    h.buses({{"rs485-1", 200 * kS}});  // an offline meter in backoff, next try far ahead
    EXPECT_FALSE(h.problem(150 * kS));
}

TEST(Health, StoreFailingLongerThanStall) {
    Health h(10000);
    h.store_result(false, 100 * kS);
    h.store_result(false, 105 * kS);
    EXPECT_FALSE(h.problem(109 * kS));
    EXPECT_TRUE(h.problem(111 * kS));
    h.store_result(true, 112 * kS);
    EXPECT_FALSE(h.problem(113 * kS));
}

TEST(Health, BrokerDownIsNotAStallButUnackedWhileConnectedIs) {
    Health h(10000);
    h.link_connected(false, 0);
    h.in_flight(5, 1 * kS);
    EXPECT_FALSE(h.problem(1000 * kS));  // an outage: data waits in the outbox
    h.link_connected(true, 1000 * kS);
    EXPECT_FALSE(h.problem(1005 * kS));
    h.acked(1008 * kS);
    EXPECT_FALSE(h.problem(1015 * kS));
    auto p = h.problem(1019 * kS);
    ASSERT_TRUE(p);
    EXPECT_NE(p->find("uplink"), std::string::npos);
    h.in_flight(0, 1020 * kS);
    EXPECT_FALSE(h.problem(1100 * kS));
}

TEST(Power, AliveStampRoundTrip) {
    AliveStamp a{1700000000123, 42 * kS, "b-1", 7, true};
    auto b = alive_from_json(to_json(a));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->wall_ms, a.wall_ms);
    EXPECT_EQ(b->mono_ns, a.mono_ns);
    EXPECT_EQ(b->boot_id, "b-1");
    EXPECT_EQ(b->boot, 7);
    EXPECT_TRUE(b->clock_synced);
    EXPECT_FALSE(alive_from_json("{"));
    EXPECT_FALSE(alive_from_json("{\"wall_ms\":\"x\"}"));
}

TEST(Power, SameBootUsesTheMonotonicClockWhateverTheWallClockDid) {
    AliveStamp last{1700000000000, 100 * kS, "boot-a", 3, false};
    StartFacts s;
    s.mono_ns = 112 * kS + 500000000;  // 12.5 s later
    s.wall_ms = 1600000000000;         // the wall clock was set back meanwhile
    s.boot_id = "boot-a";
    s.boot = 4;
    auto e = power_restored("gw-1", last, s, 15);
    EXPECT_EQ(e.type, "power_restored");
    EXPECT_EQ(e.state, EventState::info);
    EXPECT_EQ(e.details["restart"], "process");
    EXPECT_EQ(e.details["estimate"], "monotonic");
    EXPECT_DOUBLE_EQ(e.details["downtime_s"].get<double>(), 12.5);
    EXPECT_EQ(e.started, s.wall_ms - 12500);
    EXPECT_EQ(e.id, "gw-1:power_restored:gateway:1600000000000");
}

TEST(Power, NewBootWithSyncedClocksUsesTheWallClock) {
    AliveStamp last{1700000000000, 100 * kS, "boot-a", 3, true};
    StartFacts s{1700003600000, 20 * kS, "boot-b", 4, true, true};
    auto e = power_restored("gw-1", last, s, 15);
    EXPECT_EQ(e.details["restart"], "reboot");
    EXPECT_EQ(e.details["estimate"], "wall_clock");
    EXPECT_DOUBLE_EQ(e.details["downtime_s"].get<double>(), 3600.0);
    EXPECT_EQ(e.details["watchdog_reset"], true);
    EXPECT_EQ(e.details["uncertainty_s"], 15);
    EXPECT_EQ(e.started, 1700000000000);
}

TEST(Power, NewBootWithAnUnsyncedClockSaysSo) {
    AliveStamp last{1700000000000, 100 * kS, "boot-a", 3, true};
    StartFacts s{1600000000000, 20 * kS, "boot-b", 4, false, false};  // no RTC: an old time
    auto e = power_restored("gw-1", last, s, 15);
    EXPECT_EQ(e.details["estimate"], "wall_clock_unsynced");
    EXPECT_TRUE(e.details["downtime_s"].is_null());  // negative: no estimate at all
}

TEST(Power, NoStampAtAll) {
    StartFacts s{1700000000000, 20 * kS, "boot-b", 1, true, false};
    auto e = power_restored("gw-1", std::nullopt, s, 15);
    EXPECT_TRUE(e.details["downtime_s"].is_null());
}

TEST(Power, StartWallSeenLater) {
    // Started at mono 10 s; now mono 70 s and the (just synchronised) wall clock says T.
    EXPECT_EQ(start_wall(10 * kS, 1700000060000, 70 * kS), 1700000000000);
}

TEST(ClockWatch, SteadyClocksAndSlewAreNoJump) {
    ClockWatch w(5000);
    EXPECT_FALSE(w.check(1000000, 0));
    EXPECT_FALSE(w.check(1001000, 1 * kS));
    EXPECT_FALSE(w.check(1002001, 2 * kS));  // 1 ms of slew
}

TEST(ClockWatch, ForwardAndBackwardJumps) {
    ClockWatch w(5000);
    w.check(1000000, 0);
    auto j = w.check(1000000 + 1000 + 3600000, 1 * kS);
    ASSERT_TRUE(j);
    EXPECT_EQ(*j, 3600000);
    j = w.check(1000000, 2 * kS);  // set back
    ASSERT_TRUE(j);
    EXPECT_EQ(*j, -3602000);                 // expected 4602000 at 2 s, found 1000000
    EXPECT_FALSE(w.check(1001000, 3 * kS));  // re-baselined after the jump
    auto e = clock_jump("gw-1", -3600000, 1700000000000, true);
    EXPECT_EQ(e.type, "clock_jump");
    EXPECT_EQ(e.severity, Severity::major);
    EXPECT_EQ(e.details["jump_ms"], -3600000);
    EXPECT_EQ(e.details["from"], "2023-11-14T23:13:20.000Z");
}

namespace {
const char* kBase = R"(
[gateway]
id = "gw-1"
site = "s"
data_dir = "/tmp"
[uplink]
insecure = true
)";
}

TEST(BoardConfig, DefaultsToGeneric) {
    auto c = config::parse(kBase, "t.toml");
    ASSERT_TRUE(c) << c.error()[0];
    EXPECT_EQ(c->board.hw.name, "generic");
    EXPECT_EQ(c->board.hw.watchdog_device, "/dev/watchdog");
    EXPECT_TRUE(c->board.hw.tamper_chip.empty());
    EXPECT_EQ(c->board.stall_s, 120);
}

TEST(BoardConfig, NamedBoardDefaultsThenOverrides) {
    auto c = config::parse(std::string(kBase) + R"(
[board]
name = "rpi"
tamper_line = 22
stall_s = 60
)",
                           "t.toml");
    ASSERT_TRUE(c) << c.error()[0];
    EXPECT_EQ(c->board.hw.name, "rpi");
    EXPECT_EQ(c->board.hw.watchdog_timeout_s, 15);
    EXPECT_EQ(c->board.hw.led, "ACT");
    EXPECT_EQ(c->board.hw.tamper_chip, "gpiochip0");
    EXPECT_EQ(c->board.hw.tamper_line, 22);
    ASSERT_EQ(c->board.hw.rs485_devices.size(), 1u);
    EXPECT_EQ(c->board.stall_s, 60);
}

TEST(BoardConfig, ProblemsWithFileAndLine) {
    auto c = config::parse(std::string(kBase) + R"(
[board]
name = "bananapi"
watchdg = "/dev/watchdog1"
)",
                           "t.toml");
    ASSERT_FALSE(c);
    std::string all;
    for (const auto& p : c.error()) all += p + "\n";
    EXPECT_NE(all.find("t.toml:10: unknown board \"bananapi\""), std::string::npos) << all;
    EXPECT_NE(all.find("t.toml:11:"), std::string::npos) << all;
    EXPECT_NE(all.find("watchdg"), std::string::npos) << all;
}

TEST(BoardConfig, SimNeedsItsFolder) {
    auto c = config::parse(std::string(kBase) + "[board]\nname = \"sim\"\n", "t.toml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error()[0].find("sim_dir"), std::string::npos) << c.error()[0];
}
