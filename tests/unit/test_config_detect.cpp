// The detection keys of the config: the optional [detect] table and the per-asset overrides.
#include <gtest/gtest.h>

#include "config/config.hpp"

using namespace sealwatch;

namespace {

// Line numbers below count from the first line of this text.
const std::string kBase = R"([gateway]
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
[[asset]]
id = "f2"
state = "sealed"
meters = ["m1"]
standby_w = 300
)";

TEST(ConfigDetect, DefaultsWithoutTheTable) {
    auto cfg = config::parse(kBase, "t.toml");
    ASSERT_TRUE(cfg) << cfg.error().front();
    EXPECT_EQ(cfg->detect.min_on_s, 0);
    EXPECT_EQ(cfg->detect.min_off_s, 1800);
    EXPECT_EQ(cfg->detect.production_w, 50000);
    EXPECT_FALSE(cfg->assets[0].production_w);
    EXPECT_FALSE(cfg->assets[0].export_allowed);
}

TEST(ConfigDetect, TableAndAssetOverrides) {
    auto cfg = config::parse(kBase + R"(production_w = 20000
heat_w = 250000
min_on_s = 120
min_off_s = 600
export_allowed = true
[detect]
margin_w = 50
heats_min = 3
balance_window_s = 300
thd_i_min_pct = 12.5
)",
                             "t.toml");
    ASSERT_TRUE(cfg) << cfg.error().front();
    const auto& a = cfg->assets[0];
    EXPECT_EQ(*a.production_w, 20000);
    EXPECT_EQ(*a.heat_w, 250000);
    EXPECT_EQ(*a.min_on_s, 120);
    EXPECT_EQ(*a.min_off_s, 600);
    EXPECT_TRUE(a.export_allowed);
    EXPECT_EQ(cfg->detect.margin_w, 50);
    EXPECT_EQ(cfg->detect.heats_min, 3);
    EXPECT_EQ(cfg->detect.balance_window_s, 300);
    EXPECT_EQ(cfg->detect.thd_i_min_pct, 12.5);
}

TEST(ConfigDetect, ProblemsAreLocated) {
    auto cfg = config::parse(kBase + R"(min_on_s = -1
[detect]
heat_min_s = 3600
heat_max_s = 1800
margin = 5
)",
                             "t.toml");
    ASSERT_FALSE(cfg);
    const auto& p = cfg.error();
    auto has = [&](const std::string& s) {
        for (const auto& x : p)
            if (x == s) return true;
        return false;
    };
    EXPECT_TRUE(has("t.toml:21: 'min_on_s' in [[asset]] = -1 is out of range [0, 86400]"))
        << p.front();
    EXPECT_TRUE(has("t.toml:24: 'heat_max_s' must not be less than 'heat_min_s'"));
    EXPECT_TRUE(
        has("t.toml:25: unknown key 'margin' in [detect] (expected one of: margin_w, margin_pct, "
            "min_on_s, min_samples, min_off_s, production_w, heat_w, heat_min_s, heat_max_s, "
            "heat_gap_max_s, heats_min, thd_i_min_pct, night_start_h, night_end_h, reverse_w, "
            "phase_min_a, phase_loss_pct, balance_window_s, balance_windows, balance_floor_w, "
            "counter_floor_kwh, rollback_tolerance_kwh, max_power_w, offline_min_s)"));
}

}  // namespace
