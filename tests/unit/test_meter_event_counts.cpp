// The meter's own event counts on the agent side: the tracker (first read a baseline, an
// advance, a count that went back, a restart from its saved form) and the detector's events
// from it (type, details, severity by the asset's state, and the snapshot across a restart).
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/event_count_tracker.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using detect::CountChange;
using detect::EventCountTracker;

namespace {

constexpr WallMs kT0 = 1'795'000'000'000;
constexpr WallMs kMin = 60'000;

MeterEventCount cover(uint64_t n) {
    return {"03300D00", "meter_cover_opened", "meter cover opened", n, std::nullopt};
}
MeterEventCount power_down(uint64_t n) {
    return {"03110000", "meter_power_loss", "power down", n, std::nullopt};
}

}  // namespace

TEST(EventCountTracker, TheFirstReadIsTheBaselineAndRaisesNothing) {
    EventCountTracker t;
    const std::vector<MeterEventCount> read{cover(7), power_down(0)};
    auto changes = t.update(read);
    ASSERT_EQ(changes.size(), 2u);
    for (const auto& c : changes) EXPECT_EQ(c.kind, CountChange::Kind::baseline);
    EXPECT_TRUE(t.update(read).empty()) << "nothing moved";
}

TEST(EventCountTracker, AnAdvanceNamesTheOldAndTheNewCount) {
    EventCountTracker t;
    t.update({cover(7), power_down(0)});
    const std::vector<MeterEventCount> read{cover(9), power_down(0)};
    auto changes = t.update(read);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, CountChange::Kind::advanced);
    EXPECT_EQ(changes[0].old_count, 7u);
    EXPECT_EQ(changes[0].count->count, 9u);
    EXPECT_EQ(changes[0].count->identifier, "03300D00");
}

TEST(EventCountTracker, ACountThatWentBackIsReportedAndReBaselined) {
    EventCountTracker t;
    t.update({cover(7)});
    const std::vector<MeterEventCount> cleared{cover(0)};
    auto changes = t.update(cleared);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, CountChange::Kind::went_back);
    EXPECT_EQ(changes[0].old_count, 7u);
    EXPECT_TRUE(t.update(cleared).empty()) << "the new baseline";
    const std::vector<MeterEventCount> opened{cover(1)};
    changes = t.update(opened);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, CountChange::Kind::advanced);
    EXPECT_EQ(changes[0].old_count, 0u);
}

TEST(EventCountTracker, ARestartGoesOnFromTheSavedCounts) {
    EventCountTracker before;
    before.update({cover(7), power_down(2)});
    EventCountTracker after;
    after.from_json(nlohmann::json::parse(before.to_json().dump()));
    EXPECT_TRUE(after.update({cover(7), power_down(2)}).empty()) << "nothing raised again";
    const std::vector<MeterEventCount> read{cover(7), power_down(3)};  // while it was down
    auto changes = after.update(read);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, CountChange::Kind::advanced);
    EXPECT_EQ(changes[0].old_count, 2u);
    EXPECT_THROW(after.from_json(nlohmann::json::parse(R"([1, 2])")), nlohmann::json::exception);
}

namespace {

config::Config make_config(const std::string& state) {
    auto cfg = config::parse(std::string(test_support::kDetectorConfigHead) + R"(
[[bus]]
id = "line"
kind = "dlt645"
host = "127.0.0.1"
port = 9000
[[meter]]
id = "m1"
bus = "line"
address = "000012345678"
profile = "dlt645-2007"
[[meter]]
id = "m2"
bus = "line"
address = "000012345679"
profile = "dlt645-2007"
[[asset]]
id = "f2"
state = ")" + state + R"("
meters = ["m1"]
standby_w = 300
)",
                             "test.toml");
    if (!cfg) {
        for (const auto& p : cfg.error()) ADD_FAILURE() << p;
        return {};
    }
    return *cfg;
}

EventCounts counts(const std::string& meter, WallMs ts, std::vector<MeterEventCount> c) {
    return {meter, ts, 0, "dlt645-2007", std::move(c)};
}

}  // namespace

TEST(MeterEventCounts, ACoverOpenedOnASealedFurnaceIsCritical) {
    auto cfg = make_config("sealed");
    detect::Detector d(cfg);
    EXPECT_TRUE(d.on_event_counts(counts("m1", kT0, {cover(3), power_down(1)})).empty());
    auto events = d.on_event_counts(counts("m1", kT0 + 5 * kMin, {cover(4), power_down(1)}));
    ASSERT_EQ(events.size(), 1u);
    const Event& e = events[0];
    EXPECT_EQ(e.type, "meter_cover_opened");
    EXPECT_EQ(e.state, EventState::info);
    EXPECT_EQ(e.severity, Severity::critical);
    EXPECT_EQ(e.asset, "f2");
    EXPECT_EQ(e.meter, "m1");
    EXPECT_EQ(e.ts, kT0 + 5 * kMin);
    EXPECT_EQ(e.details["identifier"], "03300D00");
    EXPECT_EQ(e.details["what"], "meter cover opened");
    EXPECT_EQ(e.details["old_count"], 3);
    EXPECT_EQ(e.details["new_count"], 4);
    EXPECT_EQ(e.details["family"], "dlt645-2007");
    EXPECT_FALSE(e.details.contains("went_back"));
    EXPECT_FALSE(e.details.contains("record_time")) << "the meter gave no record time";
}

TEST(MeterEventCounts, TheLatestRecordsTimeIsInTheDetailsOfAnAdvance) {
    auto cfg = make_config("sealed");
    detect::Detector d(cfg);
    auto opened = cover(3);
    opened.record_ms = kT0 - 3 * kMin;  // an old record: at the baseline, not said
    EXPECT_TRUE(d.on_event_counts(counts("m1", kT0, {opened})).empty());
    opened.count = 4;
    opened.record_ms = kT0 + 2 * kMin + 7'000;  // 2026-11-18T11:08:47Z
    auto events = d.on_event_counts(counts("m1", kT0 + 5 * kMin, {opened}));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].details["record_time"], "2026-11-18T11:08:47.000Z");
    EXPECT_EQ(events[0].ts, kT0 + 5 * kMin) << "the event's time stays when the agent saw it";
    // A count that went back: the record is not of an event we raise.
    opened.count = 0;
    events = d.on_event_counts(counts("m1", kT0 + 6 * kMin, {opened}));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "meter_cleared");
    EXPECT_FALSE(events[0].details.contains("record_time"));
}

TEST(MeterEventCounts, SeverityFollowsTheAssetsState) {
    for (auto [state, expected] :
         {std::pair{"sealed", Severity::major}, std::pair{"shut", Severity::minor},
          std::pair{"operating", Severity::info}}) {
        auto cfg = make_config(state);
        detect::Detector d(cfg);
        (void)d.on_event_counts(counts("m1", kT0, {power_down(1)}));
        auto events = d.on_event_counts(counts("m1", kT0 + kMin, {power_down(2)}));
        ASSERT_EQ(events.size(), 1u) << state;
        EXPECT_EQ(events[0].type, "meter_power_loss");
        EXPECT_EQ(events[0].severity, expected) << state;
    }
    // A meter that feeds no asset: as on a working line.
    auto cfg = make_config("sealed");
    detect::Detector d(cfg);
    (void)d.on_event_counts(counts("m2", kT0, {cover(1)}));
    auto events = d.on_event_counts(counts("m2", kT0 + kMin, {cover(2)}));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].severity, Severity::minor);
    EXPECT_EQ(events[0].asset, "");
}

TEST(MeterEventCounts, ACountThatWentBackIsMeterCleared) {
    auto cfg = make_config("shut");
    detect::Detector d(cfg);
    (void)d.on_event_counts(counts("m1", kT0, {cover(5)}));
    auto events = d.on_event_counts(counts("m1", kT0 + kMin, {cover(0)}));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "meter_cleared");
    EXPECT_EQ(events[0].severity, Severity::major);
    EXPECT_EQ(events[0].details["identifier"], "03300D00");
    EXPECT_EQ(events[0].details["old_count"], 5);
    EXPECT_EQ(events[0].details["new_count"], 0);
    EXPECT_EQ(events[0].details["went_back"], true);
    EXPECT_TRUE(d.on_event_counts(counts("m1", kT0 + 2 * kMin, {cover(0)})).empty());
}

TEST(MeterEventCounts, TheCountsSurviveARestartInTheSnapshot) {
    auto cfg = make_config("sealed");
    detect::Detector before(cfg);
    (void)before.on_event_counts(counts("m1", kT0, {cover(3)}));
    const auto saved = before.snapshot();

    detect::Detector after(cfg);
    ASSERT_TRUE(after.restore(saved));
    EXPECT_TRUE(after.on_event_counts(counts("m1", kT0 + kMin, {cover(3)})).empty())
        << "the start-time read raises nothing again";
    auto events = after.on_event_counts(counts("m1", kT0 + 2 * kMin, {cover(4)}));
    ASSERT_EQ(events.size(), 1u) << "an advance while the agent was down is not missed";
    EXPECT_EQ(events[0].details["old_count"], 3);

    // A snapshot from before the counts were read restores with none known (baseline again).
    auto old = saved;
    old.erase("meter_event_counts");
    detect::Detector older(cfg);
    ASSERT_TRUE(older.restore(old));
    EXPECT_TRUE(older.on_event_counts(counts("m1", kT0 + kMin, {cover(9)})).empty());
    std::vector<Event> out;
    EXPECT_FALSE(older.on_event_counts(counts("x", kT0 + kMin, {cover(9)}), out))
        << "unknown meter";
}
