// The detector, rule by rule: positives and negatives, the alarm lifecycle (hysteresis, minimum
// durations, one id from raised to cleared, no storms) and snapshot/restore. Time is moved by
// the test through the readings' timestamps and on_time(); nothing sleeps.
#include <gtest/gtest.h>

#include <cmath>

#include "common/quantities.hpp"
#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/evidence.hpp"
#include "test_support.hpp"
#include "wire/event.hpp"

using namespace sealwatch;
using detect::Detector;
using test_support::q;

namespace {

constexpr WallMs kSec = 1000;
constexpr WallMs kMin = 60'000;
constexpr WallMs kT0 = 1'795'000'000'000;  // 2026-11-19, a quiet afternoon

// m1: the asset's meter; m0: an incoming meter; m2: a second sub-meter (a running line).
std::string config_text(const std::string& state, const std::string& extra_asset = "",
                        const std::string& extra = "") {
    return std::string(test_support::kDetectorConfigHead) + R"(
[[bus]]
id = "lan"
kind = "tcp"
host = "127.0.0.1"
[[meter]]
id = "m0"
bus = "lan"
unit = 1
profile = "eastron-sdm630"
interval_ms = 60000
[[meter]]
id = "m1"
bus = "lan"
unit = 2
profile = "eastron-sdm630"
interval_ms = 60000
[[meter]]
id = "m2"
bus = "lan"
unit = 3
profile = "eastron-sdm630"
interval_ms = 60000
[[asset]]
id = "f2"
state = ")" +
           state + R"("
meters = ["m1"]
standby_w = 300
)" + extra_asset +
           "\n" + extra;
}

config::Config make_config(const std::string& state, const std::string& extra_asset = "",
                           const std::string& extra = "") {
    auto cfg = config::parse(config_text(state, extra_asset, extra), "test.toml");
    if (!cfg) {
        for (const auto& p : cfg.error()) ADD_FAILURE() << p;
        return {};
    }
    return *cfg;
}

using Vals = std::vector<std::pair<std::string_view, double>>;

Reading reading(const std::string& meter, WallMs ts, const Vals& vals,
                std::optional<std::string> serial = std::nullopt) {
    Reading r;
    r.meter = meter;
    r.wall_ms = ts;
    for (auto [name, value] : vals) r.values.push_back({q(name), value});
    r.serial = std::move(serial);
    return r;
}

// A meter that integrates its power into the import register, like a real one.
struct Feed {
    Feed(Detector& d, std::string m, double e = 1000, WallMs l = -1)
        : det(d), meter(std::move(m)), e_imp(e), last(l) {}
    Detector& det;
    std::string meter;
    double e_imp;
    WallMs last;
    std::vector<Event> events;

    void at(WallMs ts, double p_w) {
        if (last >= 0 && p_w > 0) e_imp += p_w * static_cast<double>(ts - last) / 3.6e9;
        last = ts;
        det.on_reading(reading(meter, ts, {{"p_w", p_w}, {"e_imp_kwh", e_imp}}), events);
    }
    // One reading a minute from `from` (minutes since kT0) for `n` minutes at p_w.
    void run(int from, int n, double p_w) {
        for (int i = 0; i < n; ++i) at(kT0 + (from + i) * kMin, p_w);
    }
    std::vector<Event> of(std::string_view type) const {
        std::vector<Event> out;
        for (const auto& e : events)
            if (e.type == type) out.push_back(e);
        return out;
    }
};

// ---- reenergized and the lifecycle --------------------------------------------------------

TEST(Reenergized, StandbyAndSpikesStaySilent) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 60, 250);      // under standby_w
    f.run(60, 1, 900'000);  // one sample
    f.run(61, 10, 250);
    f.run(71, 2, 50'000);  // two samples: one minute
    f.run(73, 30, 250);
    EXPECT_TRUE(f.events.empty()) << wire::event_json(f.events.front()).dump();
}

// A contract-only config polled every second (issue 10): the defaults confirm in samples.
config::Config one_second_config(const std::string& state) {
    std::string text = config_text(state);
    for (size_t at; (at = text.find("interval_ms = 60000")) != std::string::npos;)
        text.replace(at, 19, "interval_ms = 1000");
    auto cfg = config::parse(text, "test.toml");
    if (!cfg) ADD_FAILURE() << cfg.error().front();
    return cfg ? *cfg : config::Config{};
}

TEST(Reenergized, AtOneSecondPollingWithinTwoPollsPlusOneSecond) {
    auto cfg = one_second_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    // A value the register did not count: a glitch of the power reading alone.
    auto glitch = [&](WallMs ts, double p_w) {
        det.on_reading(reading("m1", ts, {{"p_w", p_w}, {"e_imp_kwh", f.e_imp}}), f.events);
        f.last = ts;
    };
    for (int s = 0; s < 120; ++s) f.at(kT0 + s * kSec, 250 + (s % 7) * 10);
    glitch(kT0 + 120'000, 800'000);  // a one-sample spike
    glitch(kT0 + 121'000, 1e9);      // an absurd value, once
    glitch(kT0 + 122'000, std::nan(""));
    for (int s = 123; s < 180; ++s) f.at(kT0 + s * kSec, s % 2 ? 250 : 450);  // noise over 400 W
    EXPECT_TRUE(f.events.empty()) << wire::event_json(f.events.front()).dump();
    // The furnace switched on at 180.3 s, for 10 s: polled from 181 s.
    for (int s = 181; s <= 190; ++s) f.at(kT0 + s * kSec, 800'000);
    auto re = f.of("reenergized");
    ASSERT_EQ(re.size(), 1u);
    EXPECT_EQ(re[0].state, EventState::raised);
    EXPECT_LE(re[0].ts - (kT0 + 180'300), 3000);  // two polls + 1 s
}

TEST(ConsumptionWhileOffline, AShortSilenceWithARegisterJump) {
    auto cfg = one_second_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    for (int s = 0; s < 60; ++s) f.at(kT0 + s * kSec, 200);
    f.e_imp += 500;  // 30 s unread, 500 kWh counted meanwhile
    for (int s = 90; s < 100; ++s) f.at(kT0 + s * kSec, 200);
    auto gap = f.of("consumption_while_offline");
    ASSERT_EQ(gap.size(), 1u);
    EXPECT_EQ(gap[0].started, kT0 + 59'000);
    EXPECT_EQ(gap[0].ts, kT0 + 90'000);
    EXPECT_NEAR(gap[0].details["energy_kwh"].get<double>(), 500, 0.01);
    // Missed polls at standby, the register read to 0.01 kWh: no consumption.
    std::vector<Event> out;
    double e = f.e_imp;
    for (int s = 100; s < 3600; s += (s % 50 == 0 ? 3 : 1)) {
        e += 300.0 / 3.6e6;
        det.on_reading(
            reading("m1", kT0 + s * kSec, {{"p_w", 300}, {"e_imp_kwh", std::floor(e * 100) / 100}}),
            out);
    }
    EXPECT_TRUE(out.empty()) << wire::event_json(out.front()).dump();
}

TEST(Reenergized, RaisesAfterMinDurationAndClearsOnceWithTheSameId) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 10, 200);
    f.run(10, 2, 600'000);
    EXPECT_TRUE(f.events.empty());
    f.run(12, 1, 600'000);  // third sample, two minutes on: raised
    ASSERT_EQ(f.events.size(), 1u);
    const Event r = f.events[0];
    EXPECT_EQ(r.type, "reenergized");
    EXPECT_EQ(r.state, EventState::raised);
    EXPECT_EQ(r.severity, Severity::critical);
    EXPECT_EQ(r.asset, "f2");
    EXPECT_EQ(r.started, kT0 + 10 * kMin);
    EXPECT_EQ(r.ts, kT0 + 12 * kMin);
    EXPECT_EQ(r.id, "gw:reenergized:f2:" + std::to_string(kT0 + 10 * kMin));
    EXPECT_EQ(r.details["peak_w"], 600000.0);
    EXPECT_TRUE(r.details.contains("first_reading"));

    f.run(13, 300, 600'000);  // five hours on: no storm
    f.run(313, 29, 200);      // 29 minutes off: not yet cleared
    ASSERT_EQ(f.events.size(), 1u);
    f.run(342, 5, 200);
    ASSERT_EQ(f.events.size(), 2u);
    const Event c = f.events[1];
    EXPECT_EQ(c.state, EventState::cleared);
    EXPECT_EQ(c.id, r.id);
    EXPECT_EQ(c.started, r.started);
    // The register's witness from the first reading on: 302 minutes at 600 kW, plus standby.
    EXPECT_NEAR(c.details["energy_kwh"].get<double>(), 600.0 * 302 / 60, 1.0);
    EXPECT_EQ(c.details["energy_source"], "counter");

    f.run(347, 53, 200);
    f.run(400, 5, 600'000);  // a later alarm gets a new id
    ASSERT_EQ(f.events.size(), 3u);
    EXPECT_NE(f.events[2].id, r.id);
}

TEST(Reenergized, HysteresisBandAndFlappingDoNotClear) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 5, 5000);
    ASSERT_EQ(f.of("reenergized").size(), 1u);
    // Between standby (300, the clear level) and the raise level (400): still on.
    f.run(5, 60, 350);
    // A load that flaps every minute keeps the alarm (each "on" restarts the off timer).
    for (int i = 0; i < 120; ++i) f.at(kT0 + (65 + i) * kMin, i % 2 ? 5000 : 100);
    EXPECT_EQ(f.events.size(), 1u);
}

TEST(Reenergized, OperatingAssetDrawsFreely) {
    auto cfg = make_config("operating");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 600, 2'000'000);
    EXPECT_TRUE(f.events.empty());
}

TEST(Reenergized, EnergyRegisterIsTheWitnessWhenPowerIsMissing) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    std::vector<Event> out;
    double e = 500;
    for (int i = 0; i < 10; ++i) {
        e += i >= 3 ? 5.0 : 0.001;  // 5 kWh a minute = 300 kW
        det.on_reading(reading("m1", kT0 + i * kMin, {{"e_imp_kwh", e}}), out);
    }
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, "reenergized");
    EXPECT_NEAR(det.asset_power("f2"), 300'000, 1);
}

TEST(ProductionSuspected, ShutAssetAuxiliaryLoadIsAllowedProductionIsNot) {
    auto cfg = make_config("shut");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 120, 30'000);  // auxiliaries, a welder: under production_w (50 kW)
    EXPECT_TRUE(f.events.empty());
    f.run(120, 10, 250'000);
    ASSERT_EQ(f.events.size(), 1u);
    EXPECT_EQ(f.events[0].type, "production_suspected");
    EXPECT_EQ(f.events[0].severity, Severity::major);
}

TEST(ProductionSuspected, PerAssetThreshold) {
    auto cfg = make_config("shut", "production_w = 20000");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 10, 30'000);
    ASSERT_EQ(f.of("production_suspected").size(), 1u);
}

// ---- gaps, restarts, offline meters -------------------------------------------------------

TEST(ConsumptionWhileOffline, CountersThatAdvancedAcrossARestartAreCaught) {
    auto cfg = make_config("sealed");
    nlohmann::json snap;
    {
        Detector det(cfg);
        Feed f{det, "m1", 182'340.5};
        f.run(0, 10, 200);
        snap = det.snapshot();
    }
    Detector det(cfg);
    ASSERT_TRUE(det.restore(snap));
    // The gateway was off for 4 hours; the furnace drew 2 400 kWh meanwhile.
    std::vector<Event> out;
    WallMs back = kT0 + 250 * kMin;
    double e = 182'340.5 + 200.0 * 9 / 60 / 1000 + 2400;
    det.on_reading(reading("m1", back, {{"p_w", 200}, {"e_imp_kwh", e}}), out);
    ASSERT_EQ(out.size(), 1u);
    const Event& c = out[0];
    EXPECT_EQ(c.type, "consumption_while_offline");
    EXPECT_EQ(c.state, EventState::info);
    EXPECT_EQ(c.severity, Severity::critical);
    EXPECT_EQ(c.started, kT0 + 9 * kMin);
    EXPECT_EQ(c.ts, back);
    EXPECT_NEAR(c.details["energy_kwh"].get<double>(), 2400, 0.01);
    EXPECT_NEAR(c.details["mean_power_w"].get<double>(), 2400e3 / (241.0 / 60), 10);
    EXPECT_EQ(c.details["gap_start"], format_rfc3339(kT0 + 9 * kMin));
    EXPECT_EQ(c.details["gap_end"], format_rfc3339(back));
    // And no meter_offline for the gateway's own absence.
    out.clear();
    det.on_time(back + 10 * kMin, out);
    EXPECT_TRUE(out.empty());
}

TEST(ConsumptionWhileOffline, StandbyAcrossAGapIsFine) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 10, 250);
    f.run(300, 10, 250);  // the register advanced by 250 W over the gap: allowed
    EXPECT_TRUE(f.events.empty());
}

TEST(Restore, AnOpenAlarmKeepsItsIdAcrossARestart) {
    auto cfg = make_config("sealed");
    std::string id;
    nlohmann::json snap;
    double e = 0;
    {
        Detector det(cfg);
        Feed f{det, "m1"};
        f.run(0, 10, 500'000);
        ASSERT_EQ(f.events.size(), 1u);
        id = f.events[0].id;
        snap = det.snapshot();
        e = f.e_imp;
    }
    Detector det(cfg);
    ASSERT_TRUE(det.restore(nlohmann::json::parse(snap.dump())));  // as if read from disk
    ASSERT_EQ(det.open_alarms().size(), 1u);
    EXPECT_EQ(det.open_alarms()[0].id, id);
    Feed f{det, "m1", e, kT0 + 9 * kMin};
    f.run(11, 30, 500'000);  // still running after the restart: no second "raised"
    f.run(41, 40, 100);
    auto re = f.of("reenergized");
    ASSERT_EQ(re.size(), 1u);
    EXPECT_EQ(re[0].state, EventState::cleared);
    EXPECT_EQ(re[0].id, id);
    // The minute the restart missed was counted by the register: that is said too.
    auto gap = f.of("consumption_while_offline");
    ASSERT_EQ(gap.size(), 1u);
    EXPECT_EQ(gap[0].started, kT0 + 9 * kMin);
    EXPECT_EQ(f.events.size(), 2u);
}

TEST(Restore, RejectsWhatIsNotASnapshot) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    EXPECT_FALSE(det.restore(nlohmann::json::object()));
    EXPECT_FALSE(det.restore(nlohmann::json{{"format", "sealwatch-detector/1"}}));
    EXPECT_TRUE(det.open_alarms().empty());
}

TEST(MeterOffline, HealthChangesRaiseAndClearOneAlarm) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    std::vector<Event> out;
    det.on_reading(reading("m1", kT0, {{"p_w", 200}}), out);
    det.on_health({"m1", kT0 + 5000, 0, MeterHealth::offline, "timeout"}, out);
    det.on_health({"m1", kT0 + 9000, 0, MeterHealth::offline, "timeout"}, out);  // no storm
    det.on_health({"m1", kT0 + 20 * kMin, 0, MeterHealth::online, ""}, out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].type, "meter_offline");
    EXPECT_EQ(out[0].severity, Severity::major);  // sealed: pulling the meter is a tamper
    EXPECT_EQ(out[0].details["reason"], "offline: timeout");
    EXPECT_EQ(out[1].state, EventState::cleared);
    EXPECT_EQ(out[1].id, out[0].id);
}

TEST(MeterOffline, MinorOnAnOperatingAsset) {
    auto cfg = make_config("operating");
    Detector det(cfg);
    auto out = det.on_health({"m1", kT0, 0, MeterHealth::misconfigured, "exception 2"});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].severity, Severity::minor);
}

TEST(MeterOffline, SilenceWhileOthersReportButNotWhenTheGatewayIsAway) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed m0{det, "m0"}, m1{det, "m1"};
    for (int i = 0; i < 10; ++i) m0.at(kT0 + i * kMin, 1000), m1.at(kT0 + i * kMin, 200);
    // Both silent for an hour (gateway unplugged), then both back: nobody is blamed.
    for (int i = 70; i < 80; ++i) m0.at(kT0 + i * kMin, 1000), m1.at(kT0 + i * kMin, 200);
    EXPECT_TRUE(m0.events.empty());
    EXPECT_TRUE(m1.events.empty());
    // m1 stops while m0 goes on: offline after three intervals.
    for (int i = 80; i < 90; ++i) m0.at(kT0 + i * kMin, 1000);
    ASSERT_EQ(m0.events.size(), 1u);
    EXPECT_EQ(m0.events[0].type, "meter_offline");
    EXPECT_EQ(m0.events[0].meter, "m1");
    EXPECT_EQ(m0.events[0].ts, kT0 + 79 * kMin + 3 * kMin);
    m1.at(kT0 + 90 * kMin, 200);
    ASSERT_EQ(m1.events.size(), 1u);
    EXPECT_EQ(m1.events[0].state, EventState::cleared);
}

TEST(MeterOffline, LiveTimeAloneRaisesIt) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    std::vector<Event> out;
    det.on_reading(reading("m1", kT0, {{"p_w", 200}}), out);
    for (WallMs t = kT0; t <= kT0 + 4 * kMin; t += 1000) det.on_time(t, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, "meter_offline");
    EXPECT_EQ(out[0].ts, kT0 + 3 * kMin);
}

// ---- identity and registers ---------------------------------------------------------------

TEST(MeterReplaced, NewSerialIsReportedAndItsLowRegisterIsNoRollback) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    std::vector<Event> out;
    det.on_reading(reading("m1", kT0, {{"e_imp_kwh", 182340.5}}, "630001"), out);
    det.on_reading(reading("m1", kT0 + kMin, {{"e_imp_kwh", 182340.5}}), out);
    det.on_reading(reading("m1", kT0 + 2 * kMin, {{"e_imp_kwh", 0.2}}, "630777"), out);
    det.on_reading(reading("m1", kT0 + 3 * kMin, {{"e_imp_kwh", 0.2}}, "630777"), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, "meter_replaced");
    EXPECT_EQ(out[0].severity, Severity::major);
    EXPECT_EQ(out[0].details["old_serial"], "630001");
    EXPECT_EQ(out[0].details["new_serial"], "630777");
}

TEST(CounterRollback, ConfirmedByTheNextReadingAGlitchIsNot) {
    auto cfg = make_config("operating");
    Detector det(cfg);
    std::vector<Event> out;
    auto e = [&](int minute, double kwh) {
        det.on_reading(reading("m1", kT0 + minute * kMin, {{"e_imp_kwh", kwh}}), out);
    };
    e(0, 5000);
    e(1, 5001);
    e(2, 0);  // glitch: one bad read
    e(3, 5002);
    e(4, 4294967.295);  // glitch: garbage
    e(5, 5003);
    EXPECT_TRUE(out.empty());
    e(6, 3);  // cleared register
    e(7, 4);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, "counter_rollback");
    EXPECT_EQ(out[0].started, kT0 + 6 * kMin);
    EXPECT_EQ(out[0].details["from_kwh"], 5003.0);
    EXPECT_EQ(out[0].details["to_kwh"], 3.0);
}

// ---- every kWh accounted for: power values against the registers -------------------------

// A meter at 1 s polling whose register has the given resolution (kWh), truthful power.
std::vector<Event> standby_with_resolution(double resolution_kwh, double e0) {
    auto cfg = one_second_config("sealed");
    Detector det(cfg);
    std::vector<Event> out;
    double e = e0;
    for (int s = 0; s < 4 * 3600; ++s) {
        const double w = 250 + (s % 600 < 300 ? 40 : 0);  // a thermostat under standby_w
        e += w / 3.6e6;
        const double shown = std::floor(e / resolution_kwh) * resolution_kwh;
        det.on_reading(reading("m1", kT0 + int64_t{s} * 1000, {{"p_w", w}, {"e_imp_kwh", shown}}),
                       out);
    }
    return out;
}

TEST(PowerRegisterMismatch, RegisterResolutionIsNoMismatch) {
    // 0.01 kWh steps every ~2 minutes, whole-kWh steps every ~3.5 hours, and a float32-sized
    // step (0.25 kWh at 4 GWh): each step alone is far more than the power values explain
    // in the seconds around it, none is a mismatch.
    for (double res : {0.01, 0.25, 1.0}) {
        auto out = standby_with_resolution(res, res == 0.25 ? 4'000'000.0 : 182'340.5);
        EXPECT_TRUE(out.empty()) << res << ": " << wire::event_json(out.front()).dump();
    }
}

TEST(PowerRegisterMismatch, ZeroedPowerOnAShutLineIsJudgedFromTheRegister) {
    auto cfg = make_config("shut");
    Detector det(cfg);
    std::vector<Event> out;
    double e = 30'000;
    for (int i = 0; i < 120; ++i) {
        const double real_w = i >= 60 ? 250'000 : 2'000;
        e += real_w / 60'000;  // a minute's worth
        det.on_reading(
            reading("m1", kT0 + i * kMin,
                    {{"p_w", i >= 60 ? 0.0 : real_w}, {"e_imp_kwh", std::round(e * 100) / 100}}),
            out);
    }
    std::vector<std::string> types;
    types.reserve(out.size());
    for (const auto& ev : out) types.push_back(ev.type + "/" + std::string(to_string(ev.state)));
    ASSERT_EQ(types, (std::vector<std::string>{"power_register_mismatch/raised",
                                               "production_suspected/raised"}));
    EXPECT_EQ(out[0].severity, Severity::major);
    EXPECT_EQ(out[0].meter, "m1");
    EXPECT_EQ(out[0].details["power_values"], "zero");
    EXPECT_EQ(out[0].details["quantity"], "p_w");
    EXPECT_EQ(out[1].details["energy_source"], "register");
    EXPECT_LE(out[1].ts - (kT0 + 60 * kMin), 3 * kMin);
    EXPECT_NEAR(det.asset_power("f2"), 250'000, 5'000);
}

TEST(PowerRegisterMismatch, AConfirmedImplausibleJumpIsReportedAGlitchIsNot) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    std::vector<Event> out;
    auto at = [&](int minute, double kwh) {
        det.on_reading(reading("m1", kT0 + minute * kMin, {{"p_w", 200}, {"e_imp_kwh", kwh}}), out);
    };
    at(0, 5000);
    at(1, 5000);
    at(2, 4294967.295);  // one garbage read: the next one is back on the track
    at(3, 5000.01);
    EXPECT_TRUE(out.empty()) << wire::event_json(out.front()).dump();
    at(4, 9'000'000);     // 9 GWh in a minute: no power explains it ...
    at(5, 9'000'000.01);  // ... and the register stays there
    at(6, 9'000'000.01);
    ASSERT_EQ(out.size(), 1u) << wire::event_json(out.back()).dump();
    EXPECT_EQ(out[0].type, "power_register_mismatch");
    EXPECT_EQ(out[0].state, EventState::info);
    EXPECT_EQ(out[0].severity, Severity::critical);
    EXPECT_EQ(out[0].started, kT0 + 4 * kMin);
    EXPECT_EQ(out[0].details["reason"], "register_jump");
    EXPECT_EQ(out[0].details["from_kwh"], 5000.01);
    EXPECT_EQ(out[0].details["to_kwh"], 9'000'000.0);
}

// ---- tamper: reverse, phase loss, bypass --------------------------------------------------

TEST(ReverseEnergy, NegativePowerOrExportOnAConsumer) {
    auto cfg = make_config("operating");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 10, 50'000);
    f.run(10, 2, -50'000);
    EXPECT_TRUE(f.events.empty());
    f.run(12, 10, -50'000);
    ASSERT_EQ(f.of("reverse_energy").size(), 1u);
    EXPECT_EQ(f.events[0].severity, Severity::major);

    // Export through the register alone (no power column).
    Detector det2(cfg);
    std::vector<Event> out;
    for (int i = 0; i < 6; ++i)
        det2.on_reading(reading("m1", kT0 + i * kMin, {{"e_exp_kwh", 10.0 + i * 0.5}}), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, "reverse_energy");
}

TEST(ReverseEnergy, NotWhereExportIsAllowed) {
    auto cfg = make_config("operating", "export_allowed = true");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 60, -80'000);
    EXPECT_TRUE(f.events.empty());
}

Vals phases(double i1, double i2, double i3) {
    double p1 = i1 * 230, p2 = i2 * 230, p3 = i3 * 230;
    return {{"i_l1_a", i1}, {"i_l2_a", i2}, {"i_l3_a", i3},       {"p_l1_w", p1},
            {"p_l2_w", p2}, {"p_l3_w", p3}, {"p_w", p1 + p2 + p3}};
}

TEST(PhaseLoss, OnePhaseDeadUnderLoad) {
    auto cfg = make_config("operating");
    Detector det(cfg);
    std::vector<Event> out;
    for (int i = 0; i < 10; ++i)
        det.on_reading(reading("m1", kT0 + i * kMin, phases(300, 0, 300)), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, "phase_loss");
    for (int i = 10; i < 50; ++i)
        det.on_reading(reading("m1", kT0 + i * kMin, phases(300, 300, 300)), out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].state, EventState::cleared);
}

TEST(PhaseLoss, ASinglePhaseLoadBelowProductionLevelIsNot) {
    auto cfg = make_config("shut");
    Detector det(cfg);
    std::vector<Event> out;  // a 25 kW welder on L1-L2
    for (int i = 0; i < 30; ++i)
        det.on_reading(reading("m1", kT0 + i * kMin, phases(55, 55, 0)), out);
    EXPECT_TRUE(out.empty());
}

// m0 feeds m1 (the sealed asset's meter) and m2.
constexpr const char* kBalance = R"(
[[balance]]
main = "m0"
subs = ["m1", "m2"]
tolerance_pct = 5
)";

TEST(UnmeteredLoad, IncomingExceedsItsSubMeters) {
    auto cfg = make_config("sealed", "", kBalance);
    Detector det(cfg);
    Feed m0{det, "m0"}, m1{det, "m1"}, m2{det, "m2"};
    auto minute = [&](int i, double bypass) {
        WallMs t = kT0 + i * kMin;
        m0.at(t, 200'200 + bypass);
        m1.at(t, 200);
        m2.at(t, 200'000);
    };
    for (int i = 0; i < 120; ++i) minute(i, 5000);  // within 5 %: silent
    for (int i = 120; i < 240; ++i) minute(i, 600'000);
    std::vector<Event> all;
    for (auto* f : {&m0, &m1, &m2}) all.insert(all.end(), f->events.begin(), f->events.end());
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].type, "unmetered_load");
    EXPECT_EQ(all[0].severity, Severity::critical);  // a sealed asset's sub-meter
    EXPECT_NEAR(all[0].details["excess_w"].get<double>(), 600'000, 6000);
}

// Sub-meters stamped a poll behind the incoming meter, rows of one poll in either order, a
// line switching 800 kW on and off: balanced at every moment, no bypass — even with every
// window judged alone (a switch-on inside one is no excess).
TEST(UnmeteredLoad, SubMetersAPollLateAreNoBypass) {
    auto cfg = make_config("sealed", "", std::string(kBalance) + "[detect]\nbalance_windows = 1\n");
    Detector det(cfg);
    Feed m0{det, "m0"}, m1{det, "m1"}, m2{det, "m2"};
    auto line = [](int minute) { return minute % 70 < 50 ? 800'000.0 : 20'000.0; };
    for (int i = 1; i < 6 * 60; ++i) {
        WallMs t = kT0 + i * kMin;
        if (i % 2) m0.at(t, 200 + line(i));
        m1.at(t, 200);
        m2.at(t, line(i - 1));  // what it measured a poll ago
        if (i % 2 == 0) m0.at(t, 200 + line(i));
    }
    for (auto* f : {&m0, &m1, &m2}) EXPECT_TRUE(f->of("unmetered_load").empty()) << f->meter;
}

// ---- furnace signature --------------------------------------------------------------------

void heats(Detector& det, std::vector<Event>& out, double thd, int count) {
    double e = 1000;
    for (int i = 0; i < count * 70; ++i) {  // 50 minutes on, 20 off
        int in_cycle = i % 70;
        double w = in_cycle < 50 ? 800'000 : 200;
        e += w / 60 / 1000;
        det.on_reading(reading("m1", kT0 + i * kMin,
                               {{"p_w", w},
                                {"e_imp_kwh", e},
                                {"thd_i_l1_pct", thd},
                                {"thd_i_l2_pct", thd},
                                {"thd_i_l3_pct", thd}}),
                       out);
    }
}

TEST(FurnaceSignature, RepeatedHeatsWithHarmonics) {
    auto cfg = make_config("shut");
    Detector det(cfg);
    std::vector<Event> out;
    heats(det, out, 28, 3);
    std::vector<Event> sig;
    for (const auto& e : out)
        if (e.type == "furnace_signature") sig.push_back(e);
    ASSERT_EQ(sig.size(), 1u);
    EXPECT_EQ(sig[0].severity, Severity::major);
    EXPECT_EQ(sig[0].details["heats"], 2);
    EXPECT_EQ(sig[0].started, kT0);
    // No heat for heat_gap_max_s: the series is over.
    det.on_time(kT0 + 12 * (60 * kMin), out);
    EXPECT_EQ(out.back().type, "furnace_signature");
    EXPECT_EQ(out.back().state, EventState::cleared);
    EXPECT_EQ(out.back().id, sig[0].id);
}

TEST(FurnaceSignature, LowHarmonicsIsNotAnInductionFurnace) {
    auto cfg = make_config("shut");
    Detector det(cfg);
    std::vector<Event> out;
    heats(det, out, 2, 3);
    for (const auto& e : out) EXPECT_NE(e.type, "furnace_signature");
}

// A load that only slows down between its "heats" (a fan on a variable-speed drive) never
// drops to idle: no heat is counted. The same heats with the draw falling to idle between them
// are a series.
TEST(FurnaceSignature, HeatsEndWithADropToIdle) {
    for (double pause_w : {40'000.0, 200.0}) {
        auto cfg = make_config("shut");
        Detector det(cfg);
        Feed f{det, "m1"};
        for (int k = 0; k < 3; ++k) {
            f.run(k * 70, 50, 200'000);
            f.run(k * 70 + 50, 20, pause_w);
        }
        EXPECT_EQ(f.of("furnace_signature").size(), pause_w < 1000 ? 1u : 0u) << pause_w;
    }
}

// The meter silent 30 minutes inside the first heat and over the end of the second (its
// register counting on): both heats still count, from the register, and the series is known
// when the readings return after the second.
TEST(FurnaceSignature, HeatsPartlyUnseenCountFromTheRegister) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 15, 800'000);
    f.run(45, 15, 800'000);  // the first reading after the silence integrates it at 800 kW
    f.run(60, 20, 200);
    f.run(80, 15, 800'000);
    f.e_imp += 800.0 * 44 / 60;  // minutes 95-139 at 800 kW, unseen
    f.last = kT0 + 139 * kMin;
    f.run(141, 30, 200);
    auto sig = f.of("furnace_signature");
    ASSERT_EQ(sig.size(), 1u);
    EXPECT_EQ(sig[0].ts, kT0 + 141 * kMin);
    EXPECT_EQ(sig[0].started, kT0);
    EXPECT_EQ(sig[0].details["heats"], 2);
}

// ---- legal state --------------------------------------------------------------------------

TEST(AssetState, ChangeIsAnEventAndClosesAlarmsThatNoLongerApply) {
    auto cfg = make_config("sealed");
    Detector det(cfg);
    Feed f{det, "m1"};
    f.run(0, 10, 500'000);
    ASSERT_EQ(f.events.size(), 1u);
    std::vector<Event> out;
    ASSERT_TRUE(det.set_asset_state("f2", config::AssetState::operating, kT0 + 10 * kMin,
                                    "county-office", "permit", out));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].type, "asset_state_changed");
    EXPECT_EQ(out[0].details["from"], "sealed");
    EXPECT_EQ(out[0].details["to"], "operating");
    EXPECT_EQ(out[0].details["by"], "county-office");
    EXPECT_EQ(out[1].type, "reenergized");
    EXPECT_EQ(out[1].state, EventState::cleared);
    EXPECT_EQ(out[1].id, f.events[0].id);
    f.run(11, 60, 500'000);
    EXPECT_EQ(f.events.size(), 1u);
    EXPECT_FALSE(det.set_asset_state("nope", config::AssetState::sealed, kT0, "x", "", out));
}

TEST(Determinism, SameInputSameEvents) {
    auto cfg = make_config("sealed");
    auto run = [&] {
        Detector det(cfg);
        std::vector<Event> out;
        heats(det, out, 28, 3);
        std::string s;
        for (const auto& e : out) s += wire::event_json(e).dump() + "\n";
        return s;
    };
    EXPECT_EQ(run(), run());
}

}  // namespace

// Evidence numbers are for people: 745160.6 W, not 745160.6000000001 (issue 16).
TEST(EvidenceRounding, PrintsTheDecimalItRoundsTo) {
    EXPECT_EQ(nlohmann::json(detect::round_to(745160.60000000003, 0.1)).dump(), "745160.6");
    EXPECT_EQ(nlohmann::json(detect::round_to(1292.1564999, 0.001)).dump(), "1292.156");
    EXPECT_EQ(nlohmann::json(detect::round_to(748885.6000000001, 0.1)).dump(), "748885.6");
    EXPECT_EQ(nlohmann::json(detect::round_to(-0.04, 0.1)).dump(), "0.0");
    EXPECT_EQ(detect::round_to(846414.4, 1.0), 846414.0);
    for (int i = 0; i < 100000; ++i) {
        double v = i * 7.31 + 0.123456;
        std::string shown = nlohmann::json(detect::round_to(v, 0.1)).dump();
        auto dot = shown.find('.');
        ASSERT_NE(dot, std::string::npos) << shown;
        EXPECT_LE(shown.size() - dot - 1, 1U) << v << " printed as " << shown;
    }
}
