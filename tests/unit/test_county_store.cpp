// The county's storage contract (county/store/store.hpp), one suite for every implementation:
// add a backend to kBackends and it must pass the same cases (issue 12: PostgreSQL next).
// Below the suite, what only the SQLite file has: a reader beside a writer, a newer schema.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "county/store/sqlite_store.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using namespace sealwatch::county;
using sealwatch::test_support::TempDir;

namespace {

struct Backend {
    const char* name;
    // A store over `dir`; opening the same dir again sees what was recorded before.
    std::function<std::unique_ptr<Store>(const std::string& dir)> open;
};

const Backend kBackends[] = {
    {"sqlite",
     [](const std::string& dir) -> std::unique_ptr<Store> {
         auto s = SqliteStore::open(database_path(dir), SqliteStore::Mode::read_write);
         if (!s) throw std::runtime_error(s.error().message);
         return std::move(*s);
     }},
};

const GatewayRef kGw1{"plant-03", "gw-001"};
const GatewayRef kGw2{"plant-01", "gw-007"};

AlarmRecord raised(const GatewayRef& gw, const std::string& id, WallMs received) {
    AlarmRecord a;
    a.gw = gw;
    a.id = id;
    a.type = "reenergized";
    a.severity = "critical";
    a.asset = "furnace-2";
    a.meter = "m1";
    a.started = 1000;
    a.raised = 2000;
    a.received = received;
    a.details = R"({"peak_w":812000.5})";
    return a;
}

AlarmRecord cleared(const GatewayRef& gw, const std::string& id, WallMs at, WallMs received) {
    AlarmRecord a = raised(gw, id, received);
    a.raised = 0;
    a.started = 0;
    a.severity = "info";
    a.details = "{}";
    a.cleared = at;
    return a;
}

class CountyStore : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override { store = GetParam().open(dir.path.string()); }
    void reopen() {
        store.reset();
        store = GetParam().open(dir.path.string());
    }
    GatewaySummary summary(const GatewayRef& gw) {
        auto all = store->gateways();
        EXPECT_TRUE(all) << all.error().message;
        for (auto& s : *all)
            if (s.gw == gw) return s;
        ADD_FAILURE() << "no gateway " << gw.site << "/" << gw.gateway;
        return {};
    }

    TempDir dir;
    std::unique_ptr<Store> store;
};

}  // namespace

TEST_P(CountyStore, AnUnknownGatewayHasNothing) {
    auto c = store->chain(kGw1);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state, ChainState::unverified);
    EXPECT_FALSE(c->pinned_key);
    auto s = store->status(kGw1);
    ASSERT_TRUE(s);
    EXPECT_FALSE(*s);
    EXPECT_TRUE(store->gateways()->empty());
    EXPECT_TRUE(store->gaps()->empty());
    EXPECT_TRUE(store->alarms(true)->empty());
}

TEST_P(CountyStore, TouchKeepsFirstSeenAndTheLatestMessage) {
    ASSERT_TRUE(store->touch(kGw1, 1000));
    ASSERT_TRUE(store->touch(kGw1, 3000));
    ASSERT_TRUE(store->touch(kGw1, 2000));  // handled late: never moves last_message back
    auto s = summary(kGw1);
    EXPECT_EQ(s.first_seen, 1000);
    EXPECT_EQ(s.last_message, 3000);
}

TEST_P(CountyStore, KnowingAGatewayIsNotAMessageFromIt) {
    ASSERT_TRUE(store->know(kGw1, 500));
    auto s = summary(kGw1);
    EXPECT_EQ(s.first_seen, 500);
    EXPECT_EQ(s.last_message, 0);
}

TEST_P(CountyStore, GatewaysAreListedBySiteThenId) {
    ASSERT_TRUE(store->touch(kGw1, 1));
    ASSERT_TRUE(store->touch(kGw2, 1));
    ASSERT_TRUE(store->touch({"plant-03", "gw-000"}, 1));
    auto all = store->gateways();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].gw, kGw2);
    EXPECT_EQ((*all)[1].gw, (GatewayRef{"plant-03", "gw-000"}));
    EXPECT_EQ((*all)[2].gw, kGw1);
}

TEST_P(CountyStore, TheLastStatusIsKept) {
    ASSERT_TRUE(store->record_status(kGw1, {true, 100, "0.1.0", 3, 110}));
    ASSERT_TRUE(store->record_status(kGw1, {false, 200, "0.1.0", 3, 210}));
    auto s = store->status(kGw1);
    ASSERT_TRUE(s && *s);
    EXPECT_FALSE((*s)->online);
    EXPECT_EQ((*s)->ts, 200);
    EXPECT_EQ((*s)->version, "0.1.0");
    EXPECT_EQ((*s)->boot, 3);
    EXPECT_EQ((*s)->received, 210);
    ASSERT_TRUE(summary(kGw1).status);
    EXPECT_FALSE(summary(kGw1).status->online);
}

TEST_P(CountyStore, SeqLedgerOpensAndClosesGapsAndCounts) {
    for (uint64_t s : {1U, 2U, 3U})
        ASSERT_EQ(*store->record_seq(kGw1, s, 100), SeqLedger::Added::fresh);
    ASSERT_EQ(*store->record_seq(kGw1, 7, 200), SeqLedger::Added::fresh);
    ASSERT_EQ(*store->record_seq(kGw1, 3, 250), SeqLedger::Added::duplicate);
    ASSERT_EQ(*store->record_seq(kGw1, 0, 250), SeqLedger::Added::refused);
    auto s = summary(kGw1);
    EXPECT_EQ(s.received, 4u);
    EXPECT_EQ(s.missing, 3u);
    EXPECT_EQ(s.last_seq, 7u);
    auto gaps = store->gaps();
    ASSERT_TRUE(gaps);
    ASSERT_EQ(gaps->size(), 1u);
    EXPECT_EQ((*gaps)[0].last_seq, 7u);
    ASSERT_EQ((*gaps)[0].gaps.size(), 1u);
    EXPECT_EQ((*gaps)[0].gaps[0], (SeqGap{4, 6, 200}));

    // A late arrival splits the gap; both halves keep when it opened.
    ASSERT_EQ(*store->record_seq(kGw1, 5, 300), SeqLedger::Added::fresh);
    gaps = store->gaps();
    ASSERT_EQ((*gaps)[0].gaps.size(), 2u);
    EXPECT_EQ((*gaps)[0].gaps[0], (SeqGap{4, 4, 200}));
    EXPECT_EQ((*gaps)[0].gaps[1], (SeqGap{6, 6, 200}));

    ASSERT_TRUE(store->record_seq(kGw1, 4, 400));
    ASSERT_TRUE(store->record_seq(kGw1, 6, 400));
    gaps = store->gaps();
    EXPECT_TRUE((*gaps)[0].gaps.empty());
    EXPECT_EQ(summary(kGw1).missing, 0u);
    EXPECT_EQ(summary(kGw1).received, 7u);
}

TEST_P(CountyStore, GapsListEveryGatewayAndKeepThemApart) {
    ASSERT_TRUE(store->record_seq(kGw1, 3, 100));
    ASSERT_TRUE(store->record_seq(kGw2, 1, 100));
    auto gaps = store->gaps();
    ASSERT_TRUE(gaps);
    ASSERT_EQ(gaps->size(), 2u);
    EXPECT_EQ((*gaps)[0].gw, kGw2);
    EXPECT_TRUE((*gaps)[0].gaps.empty());
    EXPECT_EQ((*gaps)[1].gw, kGw1);
    ASSERT_EQ((*gaps)[1].gaps.size(), 1u);
    EXPECT_EQ((*gaps)[1].gaps[0], (SeqGap{1, 2, 100}));
}

TEST_P(CountyStore, EverythingSurvivesReopening) {
    ASSERT_TRUE(store->touch(kGw1, 50));
    ASSERT_TRUE(store->record_seq(kGw1, 1, 100));
    ASSERT_TRUE(store->record_seq(kGw1, 5, 100));
    ASSERT_TRUE(store->record_alarm(raised(kGw1, "a1", 100)));
    ASSERT_TRUE(store->record_status(kGw1, {true, 100, "0.1.0", 1, 100}));
    reopen();
    auto s = summary(kGw1);
    EXPECT_EQ(s.received, 2u);
    EXPECT_EQ(s.missing, 3u);
    EXPECT_EQ(s.open_alarms, 1);
    EXPECT_EQ(s.last_message, 50);
    ASSERT_TRUE(s.status);
    EXPECT_TRUE(s.status->online);
    // The gap keeps its opening time, and a late arrival after reopening still closes it.
    ASSERT_EQ(*store->record_seq(kGw1, 3, 900), SeqLedger::Added::fresh);
    auto gaps = store->gaps();
    ASSERT_EQ((*gaps)[0].gaps.size(), 2u);
    EXPECT_EQ((*gaps)[0].gaps[0], (SeqGap{2, 2, 100}));
    EXPECT_EQ((*gaps)[0].gaps[1], (SeqGap{4, 4, 100}));
}

TEST_P(CountyStore, AlarmsAreOnePerIdAndAClearClosesThem) {
    ASSERT_TRUE(store->record_alarm(raised(kGw1, "a1", 100)));
    ASSERT_TRUE(store->record_alarm(raised(kGw1, "a1", 150)));  // QoS 1 re-send
    ASSERT_TRUE(store->record_alarm(raised(kGw1, "a2", 200)));
    auto open = store->alarms(false);
    ASSERT_TRUE(open);
    ASSERT_EQ(open->size(), 2u);
    EXPECT_EQ((*open)[0].id, "a1");
    EXPECT_EQ((*open)[0].received, 100);
    EXPECT_EQ((*open)[0].details, R"({"peak_w":812000.5})");
    EXPECT_EQ(summary(kGw1).open_alarms, 2);

    ASSERT_TRUE(store->record_alarm(cleared(kGw1, "a1", 5000, 300)));
    open = store->alarms(false);
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ((*open)[0].id, "a2");
    auto all = store->alarms(true);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].id, "a1");
    ASSERT_TRUE((*all)[0].cleared);
    EXPECT_EQ(*(*all)[0].cleared, 5000);
    // The clear does not overwrite what the raise said.
    EXPECT_EQ((*all)[0].severity, "critical");
    EXPECT_EQ((*all)[0].raised, 2000);
    EXPECT_EQ(summary(kGw1).open_alarms, 1);
}

TEST_P(CountyStore, AClearBeforeItsRaiseStaysClosedAndLearnsTheRaise) {
    ASSERT_TRUE(store->record_alarm(cleared(kGw1, "a1", 5000, 100)));
    ASSERT_TRUE(store->record_alarm(raised(kGw1, "a1", 200)));
    EXPECT_TRUE(store->alarms(false)->empty());
    auto all = store->alarms(true);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(*(*all)[0].cleared, 5000);
    EXPECT_EQ((*all)[0].raised, 2000);
    EXPECT_EQ((*all)[0].started, 1000);
    EXPECT_EQ((*all)[0].severity, "critical");
    EXPECT_EQ((*all)[0].details, R"({"peak_w":812000.5})");
    EXPECT_EQ((*all)[0].received, 100);
}

TEST_P(CountyStore, TheSameAlarmIdOnTwoGatewaysIsTwoAlarms) {
    ASSERT_TRUE(store->record_alarm(raised(kGw1, "a1", 100)));
    ASSERT_TRUE(store->record_alarm(raised(kGw2, "a1", 100)));
    EXPECT_EQ(store->alarms(false)->size(), 2u);
}

TEST_P(CountyStore, ChainHeadsAreKeptOncePerN) {
    HeadRecord h{10, {}, "2026-11-21T22:00:00.000Z", 100};
    h.head[0] = 0xab;
    ASSERT_TRUE(store->record_head(kGw1, h));
    HeadRecord other = h;
    other.head[0] = 0xcd;
    other.received = 200;
    ASSERT_TRUE(store->record_head(kGw1, other));  // the first kept: the evidence of a fork
    auto at = store->head_at(kGw1, 10);
    ASSERT_TRUE(at && *at);
    EXPECT_EQ((*at)->head[0], 0xab);
    EXPECT_EQ((*at)->ts, "2026-11-21T22:00:00.000Z");
    EXPECT_EQ((*at)->received, 100);
    EXPECT_FALSE(*store->head_at(kGw1, 11));
    EXPECT_FALSE(*store->head_at(kGw2, 10));
}

TEST_P(CountyStore, TheChainVerdictRoundTrips) {
    ASSERT_TRUE(store->touch(kGw1, 1));
    ChainRecord c;
    c.state = ChainState::broken;
    c.pinned_key = chain::PublicKey{};
    (*c.pinned_key)[31] = 7;
    c.fingerprint = "3187 2944";
    c.last_n = 42;
    c.last_head[3] = 9;
    c.last_ts = 12345;
    c.reason = "n went backwards";
    ASSERT_TRUE(store->set_chain(kGw1, c));
    reopen();
    auto got = store->chain(kGw1);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->state, ChainState::broken);
    ASSERT_TRUE(got->pinned_key);
    EXPECT_EQ((*got->pinned_key)[31], 7);
    EXPECT_EQ(got->fingerprint, "3187 2944");
    EXPECT_EQ(got->last_n, 42);
    EXPECT_EQ(got->last_head[3], 9);
    EXPECT_EQ(got->last_ts, 12345);
    EXPECT_EQ(got->reason, "n went backwards");
    EXPECT_EQ(summary(kGw1).chain, ChainState::broken);
}

TEST_P(CountyStore, RepliesAreKeptInOrderNullNonceIncluded) {
    ASSERT_TRUE(store->record_reply(
        kGw1, {"Yb3kQ0m1v9sX2pLd", "ping", true, "", 100, R"({"version":"0.1.0"})", 110}));
    ASSERT_TRUE(store->record_reply(kGw1, {std::nullopt, "", false, "malformed", 200, "{}", 210}));
    auto r = store->replies(kGw1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ(*(*r)[0].nonce, "Yb3kQ0m1v9sX2pLd");
    EXPECT_TRUE((*r)[0].ok);
    EXPECT_EQ((*r)[0].result, R"({"version":"0.1.0"})");
    EXPECT_FALSE((*r)[1].nonce);
    EXPECT_EQ((*r)[1].reason, "malformed");
    EXPECT_TRUE(store->replies(kGw2)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, CountyStore, ::testing::ValuesIn(kBackends),
                         [](const auto& backend) { return std::string(backend.param.name); });

// --- the SQLite file itself ------------------------------------------------------------------

TEST(CountySqliteStore, AReaderSeesWhatTheWriterCommitsWhileItIsOpen) {
    TempDir dir;
    const auto path = database_path(dir.path.string());
    auto writer = SqliteStore::open(path, SqliteStore::Mode::read_write);
    ASSERT_TRUE(writer) << writer.error().message;
    ASSERT_TRUE((*writer)->record_seq(kGw1, 2, 100));
    auto reader = SqliteStore::open(path, SqliteStore::Mode::read_only);
    ASSERT_TRUE(reader) << reader.error().message;
    EXPECT_EQ((*reader)->gateways()->at(0).missing, 1u);
    ASSERT_TRUE((*writer)->record_seq(kGw1, 1, 200));
    EXPECT_EQ((*reader)->gateways()->at(0).missing, 0u);
    EXPECT_EQ((*reader)->gateways()->at(0).received, 2u);
    // The reader cannot write.
    EXPECT_FALSE((*reader)->touch(kGw1, 300));
}

TEST(CountySqliteStore, AReaderWithoutADatabaseSaysRunHasNotStarted) {
    TempDir dir;
    auto reader = SqliteStore::open(database_path(dir.path.string()), SqliteStore::Mode::read_only);
    ASSERT_FALSE(reader);
    EXPECT_NE(reader.error().message.find("run"), std::string::npos) << reader.error().message;
}

TEST(CountySqliteStore, ANewerSchemaIsRefused) {
    TempDir dir;
    const auto path = database_path(dir.path.string());
    ASSERT_TRUE(SqliteStore::open(path, SqliteStore::Mode::read_write));
    {
        auto db = sqlite::Db::open(path);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("PRAGMA user_version = 99"));
    }
    for (auto mode : {SqliteStore::Mode::read_write, SqliteStore::Mode::read_only}) {
        auto s = SqliteStore::open(path, mode);
        ASSERT_FALSE(s);
        EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
    }
}

TEST(CountySqliteStore, TheFileIsInWalMode) {
    TempDir dir;
    const auto path = database_path(dir.path.string());
    ASSERT_TRUE(SqliteStore::open(path, SqliteStore::Mode::read_write));
    auto db = sqlite::Db::open(path);
    ASSERT_TRUE(db);
    auto mode = db->prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode && *mode->step());
    EXPECT_EQ(mode->text(0), "wal");
}
