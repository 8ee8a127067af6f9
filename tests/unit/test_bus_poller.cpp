// BusPoller on the fake bus, with time moved by hand: a dead meter backs off, a slow one costs
// the others no more than the bus allows, a dropped link comes back. No sleeps: the fake spends
// its answers' time on the ManualClock, and the test runs each poll when it is due, as the bus
// thread would.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <variant>
#include <vector>

#include "poll/bus_poller.hpp"
#include "poll/modbus_reader.hpp"
#include "profiles/catalog.hpp"
#include "sim/register_image.hpp"
#include "support/fake_modbus.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using namespace std::chrono_literals;
using test_support::FakeModbus;
using test_support::ManualClock;

namespace {

constexpr int64_t kNsPerMs = 1000000;

class PollerTest : public testing::Test {
  protected:
    // A meter of the given unit on the fake bus, its registers as the simulator renders them.
    void add_meter(const std::string& id, int unit, uint64_t serial,
                   const sim::Values& values = {{"u_l1_v", 230.5}, {"p_w", 1200}}) {
        const auto* profile = catalog_.find("eastron-sdm120");
        ASSERT_TRUE(profile);
        plans_.push_back(plan_for(id, unit, *profile));
        set_values(plans_.back(), serial, values);
    }

    static poll::MeterPlan plan_for(const std::string& id, int unit,
                                    const profiles::Profile& profile) {
        config::Meter m;
        m.id = id;
        m.bus = "bus";
        m.unit = unit;
        m.profile = profile.id;
        m.interval_ms = 1000;
        m.offline_after = 3;
        m.backoff_max_ms = 30000;
        return {m, profile, profiles::plan_reads(profile), {}};
    }

    // The meter's registers as the simulator renders `values` (also while the bus runs).
    void set_values(const poll::MeterPlan& plan, uint64_t serial, const sim::Values& values) {
        const auto& profile = plan.profile;
        auto image = sim::RegisterImage::render(profile, values, serial);
        auto reads = plan.blocks;
        reads.push_back({profile.serial->table, profile.serial->address, 2});
        for (const auto& b : reads)
            for (uint16_t a = b.address; a < b.address + b.count; ++a)
                bus_.set_registers(plan.meter.unit, b.table, a, {image.word(b.table, a)});
    }

    void start() {
        poller_ = std::make_unique<poll::BusPoller>(
            "bus", reader_, plans_, [this](poll::PollOutput o) { out_.push_back(std::move(o)); },
            clock_);
    }

    // Runs the bus until monotonic time `until`: each poll when due, as the bus thread does.
    void run_for(std::chrono::milliseconds d) {
        const MonoNs until = clock_.mono_ns() + d.count() * kNsPerMs;
        while (poller_->next_due() <= until) {
            clock_.advance_to(poller_->next_due());
            poller_->poll_next();
        }
        clock_.advance_to(until);
    }

    // What the poller handed on for one meter: its readings or its health changes.
    template <typename Output>
    std::vector<Output> outputs(const std::string& meter) const {
        std::vector<Output> r;
        for (const auto& o : out_)
            if (const auto* x = std::get_if<Output>(&o); x && x->meter == meter) r.push_back(*x);
        return r;
    }
    std::vector<Reading> readings(const std::string& meter) const {
        return outputs<Reading>(meter);
    }
    std::vector<HealthChange> changes(const std::string& meter) const {
        return outputs<HealthChange>(meter);
    }
    // When each request to a unit went out, in ms after the first.
    std::vector<int64_t> request_ms(int unit) const {
        std::vector<int64_t> at;
        for (const auto& r : bus_.requests())
            if (r.unit == unit) at.push_back(r.at);
        for (size_t i = at.size(); i-- > 0;) at[i] = (at[i] - at[0]) / kNsPerMs;
        return at;
    }

    profiles::Catalog catalog_ = profiles::Catalog::builtin();
    ManualClock clock_;
    FakeModbus bus_{clock_, 800ms};
    poll::ModbusReader reader_{bus_};
    std::vector<poll::MeterPlan> plans_;
    std::vector<poll::PollOutput> out_;
    std::unique_ptr<poll::BusPoller> poller_;
};

size_t count_lines(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

TEST_F(PollerTest, ReadingCarriesDecodedValuesAndTheSerialAtFirstContact) {
    add_meter("m1", 1, 4711);
    start();
    run_for(1500ms);
    auto r = readings("m1");
    ASSERT_EQ(r.size(), 2u);
    ASSERT_TRUE(r[0].serial);
    EXPECT_EQ(*r[0].serial, "4711");
    EXPECT_FALSE(r[1].serial);  // not again until kSerialEveryPolls
    bool has_voltage = std::any_of(r[0].values.begin(), r[0].values.end(), [](const auto& v) {
        return v.quantity == test_support::q("u_l1_v") && std::abs(v.value - 230.5) < 1e-3;
    });
    EXPECT_TRUE(has_voltage);
    EXPECT_EQ(r[1].wall_ms - r[0].wall_ms, 1000);  // the fixed rate, on the injected clock
    EXPECT_TRUE(changes("m1").empty());            // the first "online" is not news
}

TEST_F(PollerTest, PhysicallyImpossibleValueIsDroppedCountedAndLoggedOncePerChange) {
    // pf = 235 and a 2 GW load: garbage registers, not measurements. The rest of the reading
    // (the voltage) is kept; the neighbour with sane values loses nothing.
    add_meter("liar", 1, 1, {{"u_l1_v", 230.5}, {"pf", 235}, {"p_w", 2e9}});
    add_meter("sane", 2, 2, {{"u_l1_v", 231}, {"pf", 0.9}, {"p_w", 1200}});
    start();
    testing::internal::CaptureStderr();
    run_for(5500ms);
    std::string log = testing::internal::GetCapturedStderr();

    auto has = [](const Reading& r, const char* quantity) {
        return std::any_of(r.values.begin(), r.values.end(),
                           [&](const auto& v) { return v.quantity == test_support::q(quantity); });
    };
    auto liar = readings("liar");
    ASSERT_EQ(liar.size(), 6u);
    for (const auto& r : liar) {
        EXPECT_FALSE(has(r, "pf"));
        EXPECT_FALSE(has(r, "p_w"));
        EXPECT_TRUE(has(r, "u_l1_v"));
    }
    EXPECT_EQ(poller_->out_of_range_values(0), 12u);  // two values in each of 6 polls
    EXPECT_EQ(count_lines(log, "meter liar on bus bus: pf = 235 is outside"), 1u) << log;
    EXPECT_EQ(count_lines(log, "meter liar on bus bus: p_w = 2e+09 is outside"), 1u) << log;
    EXPECT_EQ(count_lines(log, "outside its physical range"), 2u) << log;

    auto sane = readings("sane");
    ASSERT_EQ(sane.size(), 6u);
    for (const auto& r : sane) EXPECT_TRUE(has(r, "pf") && has(r, "p_w"));
    EXPECT_EQ(poller_->out_of_range_values(1), 0u);

    // The register recovers (logged once), then holds garbage again (logged once more).
    testing::internal::CaptureStderr();
    set_values(plans_[0], 1, {{"u_l1_v", 230.5}, {"pf", 0.95}, {"p_w", 2e9}});
    run_for(3000ms);  // polls at 6, 7 and 8 s
    set_values(plans_[0], 1, {{"u_l1_v", 230.5}, {"pf", -7}, {"p_w", 2e9}});
    run_for(3000ms);  // 9, 10 and 11 s
    log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(count_lines(log, "meter liar on bus bus: pf is within its physical range again"), 1u)
        << log;
    EXPECT_EQ(count_lines(log, "meter liar on bus bus: pf = -7 is outside"), 1u) << log;
    EXPECT_EQ(count_lines(log, "p_w"), 0u) << log;  // never back in range: nothing more to say
    liar = readings("liar");
    ASSERT_EQ(liar.size(), 12u);
    EXPECT_TRUE(has(liar[6], "pf") && has(liar[8], "pf"));
    EXPECT_FALSE(has(liar[9], "pf"));
}

// The value of one quantity in a reading; NaN when the reading lacks it.
double value_of(const Reading& r, const char* quantity) {
    for (const auto& v : r.values)
        if (v.quantity == test_support::q(quantity)) return v.value;
    return std::nan("");
}

TEST(InstrumentRatios, PrimaryValuesKeepTheMetersDigitsAndSign) {
    using test_support::q;
    const InstrumentRatios ctpt{200, 100};
    EXPECT_EQ(primary_value(q("u_l1_v"), 230.1, ctpt), 23010);  // not 23010.000000000004
    EXPECT_EQ(primary_value(q("i_l2_a"), 4.07, ctpt), 814);
    EXPECT_EQ(primary_value(q("p_l3_w"), -1234.5, ctpt), -24690000);  // reverse power stays so
    EXPECT_EQ(primary_value(q("e_total_kwh"), 12345.67, ctpt), 246913400);
    EXPECT_EQ(primary_value(q("pf"), 0.93, ctpt), 0.93);
    EXPECT_EQ(primary_value(q("thd_i_l1_pct"), 31.5, ctpt), 31.5);
    EXPECT_TRUE(std::isnan(primary_value(q("p_w"), std::nan(""), ctpt)));
    EXPECT_EQ(primary_value(q("u_l1_v"), 230.1, {}), 230.1);
}

TEST_F(PollerTest, CtAndPtRatiosGivePrimaryValuesExactlyOnceAtEveryPoll) {
    // A meter behind a 1000/5 A CT (200) and a 10 kV/100 V PT (100) reports secondary values;
    // its neighbour has no transformers. Values exact in f32, so the products are exact too.
    add_meter("ctpt", 1, 7,
              {{"u_l1_v", 57.5},
               {"i_l1_a", 1.25},
               {"p_w", 70.5},
               {"pf", 0.5},
               {"f_hz", 50},
               {"e_imp_kwh", 12.5}});
    plans_.back().meter.ratios = {200, 100};
    add_meter("plain", 2, 8, {{"u_l1_v", 57.5}, {"p_w", 70.5}});
    start();
    run_for(3500ms);  // four polls each: a ratio applied again on a later poll would show

    auto r = readings("ctpt");
    ASSERT_EQ(r.size(), 4u);
    for (const auto& reading : r) {
        EXPECT_EQ(value_of(reading, "u_l1_v"), 5750);       // × pt
        EXPECT_EQ(value_of(reading, "i_l1_a"), 250);        // × ct
        EXPECT_EQ(value_of(reading, "p_w"), 1410000);       // × ct × pt
        EXPECT_EQ(value_of(reading, "e_imp_kwh"), 250000);  // × ct × pt
        EXPECT_EQ(value_of(reading, "pf"), 0.5);            // ratios cancel out
        EXPECT_EQ(value_of(reading, "f_hz"), 50);
        EXPECT_EQ(reading.ratios, (InstrumentRatios{200, 100}));  // recorded with the values
    }
    EXPECT_EQ(plans_[0].meter.ratios, (InstrumentRatios{200, 100}));
    auto plain = readings("plain");
    ASSERT_EQ(plain.size(), 4u);
    EXPECT_EQ(value_of(plain[3], "u_l1_v"), 57.5);
    EXPECT_EQ(value_of(plain[3], "p_w"), 70.5);
    EXPECT_EQ(plain[3].ratios, InstrumentRatios{});
}

TEST_F(PollerTest, PhysicalRangeIsJudgedOnThePrimaryValue) {
    // 25 kW on the secondary side is a plausible register, but behind 2000 A/5 A and
    // 220 kV/100 V it is 22 GW, which no plant draws: dropped as a bad read. The voltage,
    // 127 kV per phase on the primary side, is in range and kept.
    add_meter("hv", 1, 9, {{"u_l1_v", 57.75}, {"p_w", 25000}});
    plans_.back().meter.ratios = {400, 2200};
    start();
    testing::internal::CaptureStderr();
    run_for(500ms);
    const std::string log = testing::internal::GetCapturedStderr();
    auto r = readings("hv");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(std::isnan(value_of(r[0], "p_w")));
    EXPECT_EQ(value_of(r[0], "u_l1_v"), 127050);
    EXPECT_EQ(poller_->out_of_range_values(0), 1u);
    EXPECT_EQ(count_lines(log, "p_w = 2.2e+10 is outside"), 1u) << log;
}

TEST_F(PollerTest, DeadMeterBacksOffDoublingUpTo30sAndItsHealthIsLoggedOnceEachWay) {
    add_meter("dead", 1, 1);
    bus_.unit(1).silent = true;
    start();
    testing::internal::CaptureStderr();
    run_for(130s);
    // Three tries at the meter's 1 s rate make it offline; then 2, 4, 8, 16 s and at most 30 s.
    EXPECT_EQ(request_ms(1), (std::vector<int64_t>{0, 1000, 2000, 4000, 8000, 16000, 32000, 62000,
                                                   92000, 122000}));
    auto down = changes("dead");
    ASSERT_EQ(down.size(), 1u);
    EXPECT_EQ(down[0].health, MeterHealth::offline);
    EXPECT_NE(down[0].reason.find("timeout"), std::string::npos);
    EXPECT_TRUE(readings("dead").empty());

    bus_.unit(1).silent = false;  // comes back: found at the next try, then polled at its rate
    run_for(40s);
    std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(count_lines(log, "meter dead on bus bus is offline"), 1u) << log;
    EXPECT_EQ(count_lines(log, "meter dead on bus bus is online again"), 1u) << log;
    auto all = changes("dead");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1].health, MeterHealth::online);
    auto back = readings("dead");
    ASSERT_GE(back.size(), 10u);
    ASSERT_TRUE(back[0].serial);  // after being offline the identity is read again
    EXPECT_EQ(back[1].wall_ms - back[0].wall_ms, 1000);
}

TEST_F(PollerTest, SlowMeterDelaysTheOthersByNoMoreThanItsOwnPoll) {
    add_meter("slow", 1, 1);
    add_meter("quick", 2, 2);
    bus_.unit(1).latency = 200ms;  // within the 800 ms timeout: slow, not dead
    bus_.unit(2).latency = 5ms;
    start();
    run_for(60s);

    // The slow meter's poll holds the bus for its blocks (and the serial at first contact).
    const int64_t slow_poll_ms = static_cast<int64_t>(plans_[0].blocks.size() + 1) * 200;
    ASSERT_LT(slow_poll_ms, 1000) << "the test wants a bus that has room for both";
    auto quick = readings("quick");
    ASSERT_GE(quick.size(), 59u);  // a reading every second, none lost to the slow one
    for (size_t i = 1; i < quick.size(); ++i)
        EXPECT_LE(quick[i].wall_ms - quick[i - 1].wall_ms, 1000 + slow_poll_ms);
    EXPECT_GE(readings("slow").size(), 59u);
    EXPECT_TRUE(changes("slow").empty());
    EXPECT_TRUE(changes("quick").empty());
}

TEST_F(PollerTest, DeadMeterCostsItsNeighbourAtMostOneTimeoutPerTry) {
    add_meter("dead", 1, 1);
    add_meter("alive", 2, 2);
    bus_.unit(1).silent = true;
    start();
    run_for(60s);
    auto alive = readings("alive");
    ASSERT_GE(alive.size(), 59u);
    for (size_t i = 1; i < alive.size(); ++i)
        EXPECT_LE(alive[i].wall_ms - alive[i - 1].wall_ms, 1000 + 800);
    EXPECT_TRUE(changes("alive").empty());
}

TEST_F(PollerTest, DroppedLinkTakesEveryMeterOfflineAndTheReconnectBringsThemBack) {
    add_meter("m1", 1, 11);
    add_meter("m2", 2, 12);
    start();
    run_for(5s);
    EXPECT_EQ(bus_.connects(), 1);
    const size_t before = readings("m1").size();

    bus_.cut_link();
    run_for(20s);
    EXPECT_EQ(readings("m1").size(), before);  // nothing while the link is down
    for (const auto* id : {"m1", "m2"}) {
        auto c = changes(id);
        ASSERT_EQ(c.size(), 1u) << id;
        EXPECT_EQ(c[0].health, MeterHealth::offline);
        EXPECT_NE(c[0].reason.find("link"), std::string::npos) << c[0].reason;
    }

    bus_.restore_link();
    run_for(40s);                   // the longest backoff by then is 16 s
    EXPECT_EQ(bus_.connects(), 2);  // one reconnect, not one per meter or per block
    for (const auto* id : {"m1", "m2"}) {
        auto c = changes(id);
        ASSERT_EQ(c.size(), 2u) << id;
        EXPECT_EQ(c[1].health, MeterHealth::online);
    }
    auto m2 = readings("m2");
    ASSERT_GT(m2.size(), before);
    auto first_back = std::find_if(m2.begin(), m2.end(), [&](const Reading& r) {
        return r.mono_ns > clock_.mono_ns() - 40000 * kNsPerMs;
    });
    ASSERT_NE(first_back, m2.end());
    ASSERT_TRUE(first_back->serial);
    EXPECT_EQ(*first_back->serial, "12");
}

}  // namespace
