// Dlt645Reader, the poller's DL/T 645 side, on an in-process line: the client below hands each
// request to the simulator's answer (the same code sealwatch-sim serves) and checks the reply
// as the real client does. A poll turns the profile's identifiers into canonical quantities;
// silence, noise and another meter's answer fail the poll; error replies are refusals. The
// meter's own event counts: the family it answers is probed once and remembered.
#include <gtest/gtest.h>

#include "common/quantities.hpp"
#include "dlt645/client.hpp"
#include "dlt645/exchange.hpp"
#include "poll/dlt645_reader.hpp"
#include "profiles/catalog.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

using namespace sealwatch;
namespace dl = sealwatch::dlt645;

namespace {

// A DL/T 645 line to the simulator at simulated time `t`, keeping the Client contract.
class SimLine final : public dl::Client {
  public:
    explicit SimLine(sim::Simulation& s) : sim_(s) {}
    tl::expected<void, dl::ExchangeError> connect() override { return {}; }
    void disconnect() override {}
    bool connected() const override { return true; }
    std::string describe() const override { return "in-process line"; }
    tl::expected<dl::Reply, dl::ExchangeError> exchange(const dl::Frame& request) override {
        ++requests;
        sim::Dlt645Decision d = sim_.answer_dlt645("line", request, t);
        using K = sim::Dlt645Decision::Kind;
        if (d.kind == K::nobody || d.kind == K::silent)
            return tl::unexpected(dl::ExchangeError{dl::ErrorKind::timeout, "no reply"});
        dl::StreamDecoder decoder;
        decoder.feed(d.bytes);
        auto frame = decoder.next();
        if (!frame)
            return tl::unexpected(dl::ExchangeError{dl::ErrorKind::bad_frame, "no valid frame"});
        auto reply = dl::check_reply(request, *frame);
        if (!reply)
            return tl::unexpected(
                dl::ExchangeError{dl::ErrorKind::bad_frame, std::string(to_string(reply.error()))});
        return *reply;
    }
    double t = 1;
    int requests = 0;

  private:
    sim::Simulation& sim_;
};

// The simulator's line and the head of its one meter; the meter's own keys follow.
const std::string kLineAndMeter = R"(
[[listener]]
id = "line"
rtu = "/dev/null"
protocol = "dlt645"

[[meter]]
id = "m"
address = "000012345678"
profile = "dlt645-2007"
)";

const std::string kScenario = kLineAndMeter + R"(
u_v = 231.4
program = [{ at = "0s", p_w = -2500 }]
faults = [
  { no_answer = true, from = "10s", until = "20s" },
  { garbage = true, from = "20s", until = "30s" },
  { wrong_address = true, from = "30s", until = "40s" },
  { exception = 1, from = "40s", until = "50s" },
]
)";

// The simulated meter's clock at t = 0: 2027-01-15T08:00:00Z.
constexpr int64_t kClockOrigin = 1'800'000'000;

struct Fixture {
    explicit Fixture(const std::string& text = kScenario)
        : scenario(sim::parse_scenario(text, "r.toml").value()) {
        plan.meter.id = "m";
        plan.meter.address = "000012345678";
        plan.profile = *catalog.find("dlt645-2007");
        plan.address = dl::parse_address(plan.meter.address).value();
    }

    profiles::Catalog catalog = profiles::Catalog::builtin();
    sim::Scenario scenario;
    sim::Simulation simulation{scenario, catalog, static_cast<double>(kClockOrigin)};
    SimLine line{simulation};
    poll::Dlt645Reader reader{line};
    poll::MeterPlan plan;

    std::optional<double> value(const poll::MeterRead& r, std::string_view q) {
        for (const auto& v : r.values)
            if (v.quantity == find_quantity(q)) return v.value;
        return std::nullopt;
    }
};

}  // namespace

TEST(Dlt645Reader, OnePollReadsEveryIdentifierOnce) {
    Fixture f;
    auto r = f.reader.read(f.plan, true);
    EXPECT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    EXPECT_EQ(f.line.requests, static_cast<int>(f.plan.profile.identifiers.fields.size()));
    EXPECT_EQ(r.values.size(), f.plan.profile.identifiers.fields.size());
    EXPECT_EQ(f.value(r, "u_l3_v"), 231.4);
    EXPECT_EQ(f.value(r, "p_w"), -2500);  // exporting: the sign bit
    EXPECT_FALSE(r.serial);               // the address is the identity
}

TEST(Dlt645Reader, SilenceNoiseAndImpostorsFailThePoll) {
    Fixture f;
    for (double t : {15.0, 25.0, 35.0}) {
        f.line.t = t;
        f.line.requests = 0;
        auto r = f.reader.read(f.plan, false);
        EXPECT_EQ(r.outcome, poll::Outcome::failed) << t;
        EXPECT_TRUE(r.values.empty()) << t;
        EXPECT_EQ(f.line.requests, 1) << "one failure ends the poll, at " << t;
    }
    f.line.t = 35;
    EXPECT_NE(f.reader.read(f.plan, false).reason.find("another address"), std::string::npos);
}

TEST(Dlt645Reader, ErrorRepliesAreRefusals) {
    Fixture f;
    f.line.t = 45;
    auto r = f.reader.read(f.plan, false);
    EXPECT_EQ(r.outcome, poll::Outcome::refused);
    EXPECT_TRUE(r.values.empty());
    EXPECT_NE(r.reason.find("error reply to "), std::string::npos) << r.reason;
    // A profile naming an identifier the meter lacks: the others still make a good poll.
    f.line.t = 1;
    f.plan.profile.identifiers.fields.push_back({"thd_u_l1_pct", 0x020A0101, 2, 2, false});
    r = f.reader.read(f.plan, false);
    EXPECT_EQ(r.outcome, poll::Outcome::ok);
    EXPECT_EQ(r.values.size(), f.plan.profile.identifiers.fields.size() - 1);
}

namespace {

// A State Grid meter (the profile's second family): cover opened twice, a phase failure.
const std::string kStateGridMeter = kLineAndMeter + R"(
event_family = "state-grid"
program = [{ at = "0s", p_w = 100 }]
faults = [
  { meter_event = "meter_cover_opened", at = "10s" },
  { meter_event = "meter_cover_opened", at = "11s" },
  { meter_event = "meter_phase_failure", at = "12s" },
  { no_answer = true, from = "30s", until = "40s" },
]
)";

std::optional<uint64_t> count_of(const poll::EventCountRead& r, std::string_view identifier) {
    for (const auto& c : r.counts)
        if (c.identifier == identifier) return c.count;
    return std::nullopt;
}

const MeterEventCount* find_count(const poll::EventCountRead& r, std::string_view identifier) {
    for (const auto& c : r.counts)
        if (c.identifier == identifier) return &c;
    return nullptr;
}

}  // namespace

TEST(Dlt645Reader, EventCountsProbeTheFamiliesOnceAndRememberTheOneThatAnswers) {
    Fixture f(kStateGridMeter);
    poll::EventCountMemory memory;
    f.line.t = 20;
    auto r = f.reader.read_event_counts(f.plan, memory);
    ASSERT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    EXPECT_TRUE(memory.probed);
    EXPECT_EQ(memory.family, "state-grid");
    EXPECT_EQ(r.family, "state-grid");
    EXPECT_EQ(count_of(r, "03300D00"), 2u);  // a common count
    // A phase failure lands on the family's first count of it (voltage loss), on phase A; the
    // three identifiers of A, B and C are summed.
    EXPECT_EQ(count_of(r, "10010001"), 1u);
    EXPECT_EQ(count_of(r, "13010001"), 0u);
    EXPECT_FALSE(count_of(r, "03040000"));  // the other family's: "no such data", not offline
    const int probing = f.line.requests;

    // Next time the other family is not asked again.
    f.line.requests = 0;
    r = f.reader.read_event_counts(f.plan, memory);
    ASSERT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    EXPECT_EQ(count_of(r, "10010001"), 1u);
    EXPECT_EQ(f.line.requests, probing - 3 - 1)
        << "the three dlt645-2007 phase blocks, and the cover record (its count has not moved)";
    int expected = 0;
    for (const auto& c : f.plan.profile.identifiers.event_counts)
        if (c.family.empty() || c.family == "state-grid")
            expected += static_cast<int>(c.ids.size());
    EXPECT_EQ(f.line.requests, expected);

    // A restart (a fresh memory) asks afresh: the meter may be another model by then.
    poll::EventCountMemory after_restart;
    f.line.requests = 0;
    r = f.reader.read_event_counts(f.plan, after_restart);
    EXPECT_EQ(f.line.requests, probing);
    EXPECT_EQ(after_restart.family, "state-grid");
}

TEST(Dlt645Reader, EventCountsOfTheFirstFamilyAreNotProbedFurther) {
    Fixture f(kScenario);  // the profile's first family, dlt645-2007
    poll::EventCountMemory memory;
    auto r = f.reader.read_event_counts(f.plan, memory);
    ASSERT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    EXPECT_EQ(memory.family, "dlt645-2007");
    EXPECT_EQ(count_of(r, "03040000"), 0u);
    EXPECT_FALSE(count_of(r, "13010001"));
    EXPECT_TRUE(memory.lacking.empty()) << "the state-grid identifiers were never asked";
}

TEST(Dlt645Reader, EventCountsOfASilentMeterFailWithoutSettlingTheFamily) {
    Fixture f(kStateGridMeter);
    poll::EventCountMemory memory;
    f.line.t = 35;
    auto r = f.reader.read_event_counts(f.plan, memory);
    EXPECT_EQ(r.outcome, poll::Outcome::failed);
    EXPECT_TRUE(r.counts.empty());
    EXPECT_FALSE(memory.probed);
    EXPECT_EQ(f.line.requests, 1) << "one timeout ends the read";
}

namespace {

// A dlt645-2007 meter: the cover opened at 10 s and 15 s, a phase failure at 12 s, the clock
// set at 13 s; it lacks the time-set record (an error reply) from 40 s on.
const std::string kRecordsMeter = kLineAndMeter + R"(
program = [{ at = "0s", p_w = 100 }]
faults = [
  { meter_event = "meter_cover_opened", at = "10s" },
  { meter_event = "meter_phase_failure", at = "12s" },
  { meter_event = "meter_clock_set", at = "13s" },
  { meter_event = "meter_cover_opened", at = "15s" },
]
)";

}  // namespace

TEST(Dlt645Reader, AMovedCountBringsItsLatestRecordsTime) {
    Fixture f(kRecordsMeter);
    poll::EventCountMemory memory;
    f.line.t = 11;
    auto r = f.reader.read_event_counts(f.plan, memory);
    ASSERT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    const MeterEventCount* cover = find_count(r, "03300D00");
    ASSERT_TRUE(cover);
    EXPECT_EQ(cover->record_ms, (kClockOrigin + 10) * 1000) << "the scripted time, to the second";
    const MeterEventCount* power = find_count(r, "03110000");
    ASSERT_TRUE(power);
    EXPECT_FALSE(power->record_ms) << "a count of 0 has no record to read";
    EXPECT_TRUE(r.notes.empty());

    // Nothing moved: no record read; then the cover again, the phase failure (phase A's record
    // of three: B and C stay empty) and the time set.
    const int before = f.line.requests;
    r = f.reader.read_event_counts(f.plan, memory);
    EXPECT_EQ(f.line.requests - before, before - 1) << "the counts again, not the record";
    EXPECT_FALSE(find_count(r, "03300D00")->record_ms);
    f.line.t = 20;
    r = f.reader.read_event_counts(f.plan, memory);
    EXPECT_EQ(find_count(r, "03300D00")->record_ms, (kClockOrigin + 15) * 1000);
    EXPECT_EQ(find_count(r, "03010000")->record_ms, (kClockOrigin + 12) * 1000);
    EXPECT_EQ(find_count(r, "03300400")->record_ms, (kClockOrigin + 13) * 1000);
    EXPECT_TRUE(r.notes.empty());
}

TEST(Dlt645Reader, ARecordWithoutATimeIsSaidOnceAndNotAskedAgain) {
    Fixture f(kRecordsMeter);
    poll::EventCountMemory memory;
    // The meter answers the cover's record with no valid time (as if its records were empty).
    f.plan.profile.identifiers.event_counts.front().record_time_at = 40;
    ASSERT_EQ(f.plan.profile.identifiers.event_counts.front().ids.front(), 0x03300D00u);
    f.line.t = 11;
    auto r = f.reader.read_event_counts(f.plan, memory);
    ASSERT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    EXPECT_EQ(find_count(r, "03300D00")->count, 1u) << "the count stands";
    EXPECT_FALSE(find_count(r, "03300D00")->record_ms);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("'meter cover opened' record gives no time"), std::string::npos)
        << r.notes[0];
    EXPECT_TRUE(memory.no_record_time.contains(0x03300D00));
    f.line.t = 20;
    r = f.reader.read_event_counts(f.plan, memory);
    EXPECT_EQ(find_count(r, "03300D00")->count, 2u);
    EXPECT_TRUE(r.notes.empty()) << "said once";

    // An error reply to the record ("no such data"): the same.
    Fixture g(kRecordsMeter);
    poll::EventCountMemory fresh;
    g.plan.profile.identifiers.event_counts.front().records = {0x03300D0B};
    g.line.t = 11;
    r = g.reader.read_event_counts(g.plan, fresh);
    EXPECT_EQ(find_count(r, "03300D00")->count, 1u);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("error reply to 03300D0B"), std::string::npos) << r.notes[0];
}
