// The sim board: its files are the interface a test drives. And the null parts of a board that
// lacks the hardware.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "board/board.hpp"
#include "test_support.hpp"

using namespace sealwatch;
namespace fs = std::filesystem;

namespace {

using sealwatch::test_support::TempDir;

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
void put(const fs::path& p, const std::string& s) {
    std::ofstream(p) << s;
}

board::Settings sim(const TempDir& d) {
    auto s = *board::defaults("sim");
    s.sim_dir = d.path.string();
    return s;
}

}  // namespace

TEST(SimBoard, NeedsItsFolder) {
    auto s = *board::defaults("sim");
    s.sim_dir = "/nonexistent/sw";
    EXPECT_FALSE(board::open(s));
}

TEST(SimBoard, WatchdogCountsFeedsAndDisarms) {
    TempDir d;
    auto b = board::open(sim(d));
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_TRUE(b->watchdog->present());
    ASSERT_TRUE(b->watchdog->feed());
    ASSERT_TRUE(b->watchdog->feed());
    EXPECT_EQ(slurp(d.path / "watchdog").substr(0, 8), "armed 2 ");
    ASSERT_TRUE(b->watchdog->disarm());
    EXPECT_EQ(slurp(d.path / "watchdog"), "disarmed 2\n");
    EXPECT_FALSE(b->watchdog->feed());
}

TEST(SimBoard, TamperChangesAreReportedOnce) {
    TempDir d;
    auto b = board::open(sim(d));
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->tamper->changes()->empty());
    put(d.path / "tamper", "1\n");
    EXPECT_EQ(*b->tamper->changes(), std::vector<bool>{true});
    EXPECT_TRUE(b->tamper->changes()->empty());
    EXPECT_TRUE(*b->tamper->open());
    put(d.path / "tamper", "0\n");
    EXPECT_EQ(*b->tamper->changes(), std::vector<bool>{false});
}

TEST(SimBoard, LedClockAndRs485) {
    TempDir d;
    auto b = board::open(sim(d));
    ASSERT_TRUE(b);
    ASSERT_TRUE(b->led->show(board::LedPattern::uplink_down));
    EXPECT_EQ(slurp(d.path / "led"), "uplink_down\n");
    EXPECT_TRUE(b->clock->status().synchronized);
    put(d.path / "clock_synced", "0");
    EXPECT_FALSE(b->clock->status().synchronized);
    int64_t before = b->clock->wall_now_ms();
    put(d.path / "clock_offset_ms", "-86400000");
    EXPECT_LT(b->clock->wall_now_ms(), before - 86000000);
    ASSERT_TRUE(board::enable_rs485(sim(d), "/dev/ttyS1"));
    EXPECT_EQ(slurp(d.path / "rs485"), "/dev/ttyS1\n");
}

TEST(GenericBoard, MissingHardwareBecomesNullPartsWithNotes) {
    auto s = *board::defaults("generic");
    s.watchdog_device = "/nonexistent/watchdog";
    s.tamper_chip = "/nonexistent/gpiochip";
    s.tamper_line = 3;
    s.led = "/nonexistent/led";
    auto b = board::open(s);
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->watchdog->present());
    EXPECT_FALSE(b->tamper->present());
    EXPECT_EQ(b->notes.size(), 3u);
    EXPECT_TRUE(b->watchdog->feed());
    EXPECT_TRUE(b->led->show(board::LedPattern::alarm));
}

TEST(GenericBoard, Rs485OnAPtyFails) {
    // A pty has no RS-485 mode: the error names the device (the daemon logs it once).
    auto r = board::enable_rs485(*board::defaults("generic"), "/dev/ptmx");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("/dev/ptmx"), std::string::npos);
}

TEST(SimBoard, AStickIsPluggedWhileItsFolderExists) {
    TempDir d;
    auto b = board::open(sim(d));
    ASSERT_TRUE(b);
    auto none = b->sticks->mounted();
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    fs::create_directory(d.path / "usb");
    auto one = b->sticks->mounted();
    ASSERT_TRUE(one);
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ(fs::path(one->front()), d.path / "usb");
    fs::remove(d.path / "usb");
    EXPECT_TRUE(b->sticks->mounted()->empty());
}

TEST(GenericBoard, StickMountPointsComeFromTheKernelsMountTable) {
    // "/" is mounted everywhere; a folder that is no mount point is not a stick.
    TempDir d;
    auto s = *board::defaults("generic");
    s.watchdog_device = "";
    s.usb_mounts = {d.path.string(), "/", "/nonexistent/usb0"};
    auto b = board::open(s);
    ASSERT_TRUE(b);
    auto m = b->sticks->mounted();
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(*m, std::vector<std::string>{"/"});
    EXPECT_EQ(b->sticks->mounted().value(), std::vector<std::string>{"/"})
        << "read again only when the table changed, the same answer";
}

TEST(Catalog, KnownBoards) {
    EXPECT_TRUE(board::defaults("generic"));
    EXPECT_TRUE(board::defaults("rpi"));
    EXPECT_TRUE(board::defaults("sim"));
    EXPECT_FALSE(board::defaults("nope"));
    EXPECT_NE(board::board_names().find("rpi"), std::string::npos);
}
