// The analyze CSV reader: the contract's format, and a clear FILE:LINE for every bad input.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "detect/replay.hpp"

using namespace sealwatch;

namespace {

config::Config cfg() {
    auto c = config::parse(R"([gateway]
id = "gw"
site = "s"
[uplink]
insecure = true
port = 1883
[[bus]]
id = "lan"
kind = "tcp"
host = "127.0.0.1"
[[meter]]
id = "m1"
bus = "lan"
unit = 1
profile = "eastron-sdm630"
interval_ms = 60000
[[meter]]
id = "m2"
bus = "lan"
unit = 2
profile = "eastron-sdm630"
interval_ms = 60000
[[asset]]
id = "f2"
state = "sealed"
meters = ["m1"]
standby_w = 300
)",
                           "c.toml");
    EXPECT_TRUE(c);
    return *c;
}

tl::expected<detect::ReplayStats, std::string> run(const std::string& text,
                                                   std::vector<detect::Event>* events = nullptr) {
    auto c = cfg();
    detect::Detector det(c);
    return detect::replay_csv_text(text, "r.csv", det, [&](const detect::Event& e) {
        if (events) events->push_back(e);
    });
}

TEST(Replay, ReadsTheContractFormat) {
    std::vector<detect::Event> ev;
    std::string csv = "ts,meter,p_w,e_imp_kwh\r\n";
    for (int i = 0; i < 6; ++i)
        csv += std::to_string(1795000000 + 60 * i) + ",m1," + (i ? "500000" : "") + "," +
               std::to_string(100 + i) + "\r\n";
    csv += "2026-11-19T08:00:00+08:00,m2,,\n\n";
    auto r = run(csv, &ev);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 7u);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, "reenergized");
}

TEST(Replay, SerialColumnIsAnExtension) {
    std::vector<detect::Event> ev;
    auto r = run("ts,meter,serial,e_imp_kwh\n1795000000,m1,A1,5\n1795000060,m1,B2,0.1\n", &ev);
    ASSERT_TRUE(r) << r.error();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, "meter_replaced");
}

TEST(Replay, ProblemsNameTheLine) {
    EXPECT_EQ(run("ts,meter,p_w\n1795000000,m9,1\n").error(),
              "r.csv:2: meter 'm9' is not in the config");
    EXPECT_EQ(run("ts,meter,p_w\n1795000060,m1,1\n1795000000,m1,1\n").error(),
              "r.csv:3: rows out of time order: 2026-11-18T11:06:40.000Z after "
              "2026-11-18T11:07:40.000Z");
    EXPECT_EQ(run("ts,meter,p_w\n1795000000,m1,1x\n").error(),
              "r.csv:2: bad number '1x' in column 'p_w'");
    EXPECT_EQ(run("ts,meter,p_w\nyesterday,m1,1\n").error(),
              "r.csv:2: bad time 'yesterday' (RFC 3339 or Unix seconds)");
    EXPECT_EQ(run("ts,meter,p_w\n1795000000,m1\n").error(), "r.csv:2: 2 cells, the header has 3");
    EXPECT_EQ(run("ts,meter,p_w\n1795000000,m1,1,2\n").error(),
              "r.csv:2: more cells than the header's 3 columns");
    EXPECT_EQ(run("ts,meter,power\n").error(),
              "r.csv:1: unknown column 'power' (expected ts, meter, serial or a quantity such as "
              "p_w)");
    EXPECT_EQ(run("meter,p_w\n").error(),
              "r.csv:1: the header must name the columns 'ts' and 'meter'");
    EXPECT_EQ(run("ts,meter,p_w,p_w\n").error(), "r.csv:1: column 'p_w' appears twice");
    EXPECT_EQ(run("").error(), "r.csv:0: empty file: no header row");
    EXPECT_EQ(run("ts,meter,p_w\n,m1,1\n").error(),
              "r.csv:2: bad time '' (RFC 3339 or Unix seconds)");
}

TEST(Replay, NumbersParseExactly) {
    std::vector<detect::Event> ev;
    // Values beyond the fast path (exponent, 17 digits) still parse.
    auto r =
        run("ts,meter,p_w,e_imp_kwh\n1795000000,m2,1.5e3,12345678901234567\n"
            "1795000060,m2,-0.000001,+7\n");
    ASSERT_TRUE(r) << r.error();
}

}  // namespace
