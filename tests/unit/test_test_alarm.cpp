// `sealwatch test-alarm` on the gateway (evidence/test_alarm.hpp, store/test_alarms.cpp): a
// request queued in a real SQLite store becomes one chained test_alarm event of state info,
// clearly marked; one for an unknown asset is rejected; one withdrawn is never recorded, and the
// agent and a withdrawing CLI cannot both win.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "evidence/test_alarm.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using sealwatch::test_support::TempDir;

namespace {

constexpr WallMs kNow = 1'795'298'400'000;

class TestAlarm : public ::testing::Test {
  protected:
    void SetUp() override {
        // What recording needs of the config: the gateway's id and its assets.
        cfg.gateway.id = "gw-test";
        cfg.assets.emplace_back().id = "furnace-2";
        auto s = store::Store::open(dir.db(), {});
        ASSERT_TRUE(s) << s.error().message;
        store = std::make_unique<store::Store>(std::move(*s));
    }
    int64_t queue(const std::string& asset) {
        store::TestAlarmRequest r;
        r.created_ms = kNow - 2000;
        r.asset = asset;
        r.by = "installer Wang";
        r.note = "commissioning #12";
        auto id = store->queue_test_alarm(r);
        EXPECT_TRUE(id) << id.error().message;
        return id ? *id : 0;
    }
    store::TestAlarmRequest request(int64_t id) { return store->test_alarm(id).value().value(); }

    TempDir dir;
    config::Config cfg;
    std::unique_ptr<store::Store> store;
};

}  // namespace

TEST_F(TestAlarm, RecordedAsOneChainedInfoEventClearlyMarkedTest) {
    const auto id = queue("furnace-2");
    EXPECT_EQ(request(id).status, "pending");
    const auto before = store->chain_length();
    auto done = evidence::record_test_alarms(*store, cfg, kNow);
    ASSERT_TRUE(done) << done.error().message;
    ASSERT_EQ(done->size(), 1u);
    EXPECT_TRUE((*done)[0].recorded);
    EXPECT_EQ(store->chain_length(), before + 1);
    const auto r = request(id);
    EXPECT_EQ(r.status, "recorded");
    EXPECT_EQ(r.chain_n, store->chain_length());
    auto events = store->events_between(kNow, kNow + 1);
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 1u);
    const Event& e = events->front();
    EXPECT_EQ(e.id, r.event_id);
    EXPECT_EQ(e.type, "test_alarm");
    EXPECT_EQ(e.state, EventState::info) << "never an alarm to raise or clear";
    EXPECT_EQ(e.severity, Severity::info);
    EXPECT_EQ(e.asset, "furnace-2");
    EXPECT_EQ(e.details["test"], true);
    EXPECT_EQ(e.details["by"], "installer Wang");
    EXPECT_EQ(e.details["note"], "commissioning #12");
    EXPECT_EQ(e.details["requested"], format_rfc3339(kNow - 2000));
    EXPECT_TRUE(evidence::record_test_alarms(*store, cfg, kNow + 1000)->empty()) << "taken once";
    EXPECT_FALSE(store->close_test_alarm(id, "withdrawn", "late").value()) << "already recorded";
}

TEST_F(TestAlarm, AnAssetTheRunningConfigLacksIsRejectedWithNothingChained) {
    const auto id = queue("furnace-9");
    const auto before = store->chain_length();
    auto done = evidence::record_test_alarms(*store, cfg, kNow);
    ASSERT_TRUE(done);
    ASSERT_EQ(done->size(), 1u);
    EXPECT_FALSE((*done)[0].recorded);
    EXPECT_EQ(request(id).status, "rejected");
    EXPECT_NE(request(id).message.find("furnace-9"), std::string::npos);
    EXPECT_EQ(store->chain_length(), before);
}

TEST_F(TestAlarm, AWithdrawnRequestIsNeverRecorded) {
    const auto id = queue("furnace-2");
    const auto before = store->chain_length();
    EXPECT_TRUE(store->close_test_alarm(id, "withdrawn", "not taken within 15 s").value());
    EXPECT_TRUE(evidence::record_test_alarms(*store, cfg, kNow)->empty());
    // The agent having read it as pending just before: its claim finds it gone.
    EXPECT_FALSE(
        store->record_test_alarm(id, evidence::test_alarm_event("gw-test", request(id), kNow))
            .value());
    EXPECT_EQ(store->chain_length(), before);
    EXPECT_EQ(request(id).status, "withdrawn");
    EXPECT_TRUE(store->events_between(kNow - 60'000, kNow + 60'000)->empty());
}
