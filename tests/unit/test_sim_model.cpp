// sealwatch-sim value model: power over time and energy counters that integrate it. Time is a
// parameter here: no sleeps.
#include <gtest/gtest.h>

#include "sim/faults.hpp"
#include "sim/meter_model.hpp"
#include "sim/power_program.hpp"

using namespace sealwatch::sim;

namespace {

constexpr double kWsPerKwh = 3.6e6;

MeterSpec spec_with(std::vector<Segment> program, std::vector<Heat> heats = {}) {
    MeterSpec m;
    m.id = "m";
    m.profile = "eastron-sdm630";
    m.program = std::move(program);
    m.heats = std::move(heats);
    return m;
}

Fault window(double from, double until) {
    Fault f;
    f.from = from;
    f.until = until;
    return f;
}

}  // namespace

TEST(SimPowerProgram, StepsAndRamps) {
    PowerProgram p({{0, 300, 0}, {600, 5000, 120}, {3600, -2000, 0}}, {});
    EXPECT_DOUBLE_EQ(p.power_at(-1), 0);
    EXPECT_DOUBLE_EQ(p.power_at(0), 300);
    EXPECT_DOUBLE_EQ(p.power_at(599), 300);
    EXPECT_DOUBLE_EQ(p.power_at(660), 300 + (5000 - 300) / 2.0);  // halfway up the ramp
    EXPECT_DOUBLE_EQ(p.power_at(720), 5000);
    EXPECT_DOUBLE_EQ(p.power_at(3599), 5000);
    EXPECT_DOUBLE_EQ(p.power_at(3600), -2000);
}

TEST(SimPowerProgram, RampInterruptedBySegment) {
    // Ramp 0 -> 1000 over 100 s, cut at 50 s by a ramp back to 0 over 50 s.
    PowerProgram p({{0, 1000, 100}, {50, 0, 50}}, {});
    EXPECT_DOUBLE_EQ(p.power_at(50), 500);
    EXPECT_DOUBLE_EQ(p.power_at(75), 250);
    EXPECT_DOUBLE_EQ(p.power_at(100), 0);
    EnergyWs e = p.integrate(0, 200);
    EXPECT_NEAR(e.imported, 0.5 * 100 * 500, 1e-6);  // a triangle
}

TEST(SimPowerProgram, Heats) {
    Heat h{10, 300, 800000, 2400, 60, 1200, 3};
    PowerProgram p({{0, 200, 0}}, {h});
    EXPECT_DOUBLE_EQ(p.power_at(5), 200);
    EXPECT_FALSE(p.heat_running(5));
    EXPECT_DOUBLE_EQ(p.power_at(10 + 150), 200 + 400000);  // halfway up
    EXPECT_DOUBLE_EQ(p.power_at(10 + 300 + 1000), 200 + 800000);
    EXPECT_TRUE(p.heat_running(10 + 300 + 1000));
    EXPECT_DOUBLE_EQ(p.power_at(10 + 300 + 2400 + 30), 200 + 400000);  // halfway down
    EXPECT_DOUBLE_EQ(p.power_at(10 + 2760 + 600), 200);                // in the gap
    EXPECT_FALSE(p.heat_running(10 + 2760 + 600));
    double period = h.period();
    EXPECT_DOUBLE_EQ(p.power_at(10 + 2 * period + 1000), 200 + 800000);  // third heat
    EXPECT_DOUBLE_EQ(p.power_at(10 + 3 * period + 1000), 200);           // no fourth

    // One heat's energy: ramp and drop are triangles, hold a rectangle.
    double heat_ws = 800000.0 * (300 / 2.0 + 2400 + 60 / 2.0);
    EnergyWs e = p.integrate(0, 10 + 3 * period + 100);
    EXPECT_NEAR(e.imported, 3 * heat_ws + 200.0 * (10 + 3 * period + 100), 1e-3);
    EXPECT_DOUBLE_EQ(e.exported, 0);
}

TEST(SimPowerProgram, EndlessHeats) {
    Heat h{0, 0, 1000, 60, 0, 60, 0};
    PowerProgram p({}, {h});
    EXPECT_DOUBLE_EQ(p.power_at(1000 * 120 + 30), 1000);
    EXPECT_DOUBLE_EQ(p.power_at(1000 * 120 + 90), 0);
    EXPECT_NEAR(p.integrate(0, 1200).imported, 10 * 60 * 1000.0, 1e-6);
}

TEST(SimPowerProgram, SignChangeInsideARamp) {
    // +1000 W ramping to -1000 W over 100 s: half imported, half exported.
    PowerProgram p({{0, 1000, 0}, {100, -1000, 100}}, {});
    EnergyWs e = p.integrate(100, 200);
    EXPECT_NEAR(e.imported, 0.5 * 50 * 1000, 1e-6);
    EXPECT_NEAR(e.exported, 0.5 * 50 * 1000, 1e-6);
}

TEST(SimMeterModel, EnergyIntegratesExactly) {
    // 3 kW for an hour, then a ramp to 6 kW over an hour, then 6 kW for an hour.
    MeterModel m(spec_with({{0, 3000, 0}, {3600, 6000, 3600}}), 1);
    m.advance(3600);
    EXPECT_NEAR(m.e_imp_kwh(), 3.0, 1e-9);
    // Advancing in many small, uneven steps gives the same as one big one.
    for (double t = 3600; t <= 7200; t += 7.3) m.advance(t);
    m.advance(7200);
    EXPECT_NEAR(m.e_imp_kwh(), 3.0 + 4.5, 1e-9);
    m.advance(10800);
    EXPECT_NEAR(m.e_imp_kwh(), 3.0 + 4.5 + 6.0, 1e-9);
    EXPECT_DOUBLE_EQ(m.e_exp_kwh(), 0);
    m.advance(100);  // time never goes back
    EXPECT_NEAR(m.e_imp_kwh(), 13.5, 1e-9);
}

TEST(SimMeterModel, NegativePowerGrowsExport) {
    MeterSpec s = spec_with({{0, -7200, 0}});  // reversed CT on a 7.2 kW load
    s.e_imp_kwh = 500;
    s.e_exp_kwh = 1;
    MeterModel m(s, 1);
    m.advance(1800);
    EXPECT_DOUBLE_EQ(m.e_imp_kwh(), 500);
    EXPECT_NEAR(m.e_exp_kwh(), 1 + 3.6, 1e-9);
    Values v = m.values(1800);
    EXPECT_DOUBLE_EQ(v["p_w"], -7200);
    EXPECT_LT(v["pf"], 0);
    EXPECT_GT(v["i_l1_a"], 0);
}

TEST(SimMeterModel, SwapAndCounterReset) {
    MeterSpec s = spec_with({{0, 3600, 0}});  // 1 kWh per 1000 s
    s.serial = 111;
    s.e_imp_kwh = 100;
    MeterEvent swap;
    swap.kind = MeterEvent::Kind::swap;
    swap.at = 2000;
    swap.serial = 999;
    swap.e_imp_kwh = 12.5;
    MeterEvent reset;
    reset.kind = MeterEvent::Kind::counter_reset;
    reset.at = 5000;
    s.events = {swap, reset};
    MeterModel m(s, 1);
    m.advance(1000);
    EXPECT_EQ(m.serial(), 111u);
    EXPECT_NEAR(m.e_imp_kwh(), 101, 1e-9);
    m.advance(3000);  // passes the swap: new meter, counting from 12.5 since t = 2000
    EXPECT_EQ(m.serial(), 999u);
    EXPECT_NEAR(m.e_imp_kwh(), 13.5, 1e-9);
    m.advance(6000);
    EXPECT_NEAR(m.e_imp_kwh(), 1.0, 1e-9);  // reset at 5000, then 1000 s at 3.6 kW
}

TEST(SimMeterModel, OfflineFreezesCountersNoAnswerDoesNot) {
    MeterSpec s = spec_with({{0, 3600, 0}});
    Fault off;
    off.offline = true;
    off.from = 1000;
    off.until = 3000;
    Fault mute;
    mute.no_answer = true;
    mute.from = 4000;
    mute.until = 5000;
    s.faults = {off, mute};
    MeterModel m(s, 1);
    m.advance(6000);
    EXPECT_NEAR(m.e_imp_kwh(), 4.0, 1e-9);  // 6000 s minus 2000 s unpowered
    EXPECT_TRUE(active_faults(s.faults, 2000).silent);
    EXPECT_TRUE(active_faults(s.faults, 2000).offline);
    EXPECT_TRUE(active_faults(s.faults, 4500).silent);
    EXPECT_FALSE(active_faults(s.faults, 4500).offline);
    EXPECT_FALSE(active_faults(s.faults, 5000).silent);  // until is exclusive
}

// A meter whose power values lie: frozen at the window's start, or reporting a set value. The
// counters integrate the true program all along (what power_register_mismatch is about).
TEST(SimMeterModel, FrozenPowerWhileTheCountersRun) {
    MeterSpec s = spec_with({{0, 300, 0}, {100, 800000, 0}, {700, 300, 0}},
                            {Heat{200, 0, 1000, 100, 0, 0, 1}});
    s.faults = {window(50, 1000)};
    s.faults[0].freeze_power = true;
    MeterModel m(s, 1);
    m.advance(500);
    Values v = m.values(500);
    EXPECT_DOUBLE_EQ(v["p_w"], 300);  // as at 50 s, though the load draws 800 kW
    EXPECT_NEAR(v["p_l1_w"], 100, 1e-9);
    EXPECT_NEAR(v["i_l1_a"], 100 / s.electrical.pf / 230, 1e-9);
    EXPECT_DOUBLE_EQ(v["thd_i_l1_pct"], s.electrical.thd_i_pct);  // no heat at 50 s either
    EXPECT_NEAR(v["e_imp_kwh"], (100 * 300 + 400 * 800000 + 100 * 1000) / kWsPerKwh, 1e-9);
    m.advance(1000);
    EXPECT_DOUBLE_EQ(m.values(1000)["p_w"], 300);  // until is exclusive: the truth again
    EXPECT_DOUBLE_EQ(m.values(650)["p_w"], 300);
}

TEST(SimMeterModel, ReportedPowerIsFalsified) {
    MeterSpec s = spec_with({{0, 3600, 0}});
    s.faults = {window(100, 200)};
    s.faults[0].report_p_w = 0.0;
    MeterModel m(s, 1);
    m.advance(150);
    Values v = m.values(150);
    EXPECT_DOUBLE_EQ(v["p_w"], 0);
    EXPECT_DOUBLE_EQ(v["i_l2_a"], 0);
    EXPECT_DOUBLE_EQ(v["s_va"], 0);
    EXPECT_NEAR(v["e_imp_kwh"], 0.15, 1e-9);  // 150 s at 3.6 kW, all counted
    EXPECT_DOUBLE_EQ(m.values(200)["p_w"], 3600);
    EXPECT_FALSE(active_faults(s.faults, 150).silent);  // it answers: only its power lies
}

TEST(SimMeterModel, PhaseSplitAndThd) {
    MeterSpec s = spec_with({{0, 23000 * 0.9, 0}}, {Heat{100, 0, 1000, 100, 0, 0, 1}});
    s.electrical.pf = 0.9;
    s.electrical.split = {1, 1, 0};  // L3 carries nothing: phase loss
    MeterModel m(s, 1);
    Values v = m.values(50);
    EXPECT_NEAR(v["p_l1_w"], 23000 * 0.9 / 2, 1e-6);
    EXPECT_NEAR(v["i_l1_a"], 50, 1e-9);  // S = 11.5 kVA on 230 V
    EXPECT_DOUBLE_EQ(v["i_l3_a"], 0);
    EXPECT_DOUBLE_EQ(v["thd_i_l3_pct"], 0);
    EXPECT_DOUBLE_EQ(v["thd_i_l1_pct"], s.electrical.thd_i_pct);
    Values hot = m.values(150);
    EXPECT_DOUBLE_EQ(hot["thd_i_l1_pct"], s.electrical.thd_i_heat_pct);
    EXPECT_DOUBLE_EQ(v["f_hz"], 50);
}

TEST(SimMeterModel, RespecKeepsCountersAndSerial) {
    MeterSpec off = spec_with({{0, 0, 0}});
    off.serial = 7;
    off.e_imp_kwh = 10;
    MeterModel m(off, 1);
    m.advance(1000);
    MeterSpec on = off;
    on.program = {{0, 3600, 0}};  // "turn the furnace on" by rewriting the file
    m.respec(on, 1000);
    m.advance(2000);
    EXPECT_NEAR(m.e_imp_kwh(), 11, 1e-9);  // only the time after the reload counts
    EXPECT_EQ(m.serial(), 7u);
}

TEST(SimMeterModel, NoiseIsBoundedAndNotCounted) {
    MeterSpec s = spec_with({{0, 1000, 0}});
    s.electrical.noise_w = 50;
    MeterModel m(s, 42);
    bool varied = false;
    for (double t = 0; t < 100; t += 1) {
        double p = m.power_w(t);
        EXPECT_LE(std::abs(p - 1000), 50);
        varied = varied || p != m.power_w(0);
    }
    EXPECT_TRUE(varied);
    m.advance(3600);
    EXPECT_NEAR(m.e_imp_kwh(), 1.0, 1e-9);
}
