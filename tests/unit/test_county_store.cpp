// The county's storage contract (county/store/store.hpp), one suite for every implementation:
// each case runs on SQLite (a file in a temporary folder) and on PostgreSQL (a database of its
// own on a real server, tests/support/postgres.hpp), and each must pass the same cases. The last
// ones are concurrent instances: two stores on one database, as two `sealwatch-county`
// processes would have, taking interleaved messages of one gateway on real threads.
// Below the suite, what only the SQLite file has: a reader beside a writer, a newer schema.
// PostgreSQL's own: test_county_postgres_store.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "county/store/postgres_store.hpp"
#include "county/store/sqlite_store.hpp"
#include "support/postgres.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using namespace sealwatch::county;
using sealwatch::test_support::Postgres;
using sealwatch::test_support::TempDir;

namespace {

struct Backend {
    const char* name;
    // Where a test's store lives: made empty for the test, or "" when this backend is not to be
    // had here (why: in `problem`).
    std::function<std::string(const TempDir& dir, std::string& problem)> make;
    // A store there; opening the same place again sees what was recorded before.
    std::function<std::unique_ptr<Store>(const std::string& place)> open;
    std::function<void(const std::string& place)> drop;
};

// gtest names a failing case's parameter with this.
[[maybe_unused]] void PrintTo(const Backend& backend, std::ostream* out) {
    *out << backend.name;
}

const Backend kBackends[] = {
    {"sqlite", [](const TempDir& dir, std::string&) { return dir.path.string(); },
     [](const std::string& dir) -> std::unique_ptr<Store> {
         auto s = SqliteStore::open(database_path(dir), SqliteStore::Mode::read_write);
         if (!s) throw std::runtime_error(s.error().message);
         return std::move(*s);
     },
     [](const std::string&) {}},
    {"postgresql",
     [](const TempDir&, std::string& problem) {
         auto& server = Postgres::shared();
         std::string place = server.problem().empty() ? server.create_database() : "";
         problem = server.problem();
         return place;
     },
     [](const std::string& conninfo) -> std::unique_ptr<Store> {
         auto s = PostgresStore::open({conninfo});
         if (!s) throw std::runtime_error(s.error().message);
         return std::move(*s);
     },
     [](const std::string& conninfo) { Postgres::shared().drop_database(conninfo); }},
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
    void SetUp() override {
        std::string problem;
        place = GetParam().make(dir, problem);
        if (place.empty()) {
            if (test_support::in_ci()) FAIL() << problem;
            GTEST_SKIP() << problem;
        }
        store = GetParam().open(place);
    }
    void TearDown() override {
        store.reset();
        if (!place.empty()) GetParam().drop(place);
    }
    void reopen() {
        store.reset();
        store = GetParam().open(place);
    }
    // A second instance on the same database, as a second county process has.
    std::unique_ptr<Store> another() { return GetParam().open(place); }
    GatewaySummary summary(const GatewayRef& gw) {
        auto all = store->gateways();
        EXPECT_TRUE(all) << all.error().message;
        for (auto& s : *all)
            if (s.gw == gw) return s;
        ADD_FAILURE() << "no gateway " << gw.site << "/" << gw.gateway;
        return {};
    }

    TempDir dir;
    std::string place;
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

TEST_P(CountyStore, TestAlarmIsTheGatewaysLatestAndNoAlarm) {
    ASSERT_TRUE(store->touch(kGw1, 100));
    ASSERT_TRUE(store->touch(kGw2, 100));
    EXPECT_FALSE(summary(kGw1).last_test_alarm) << "none before the first";
    const TestAlarmRecord first{"gw-1:test_alarm:furnace-2:1000:1",
                                "furnace-2",
                                "installer Wang",
                                "commissioning",
                                1000,
                                1100,
                                7};
    ASSERT_TRUE(store->record_test_alarm(kGw1, first));
    TestAlarmRecord later = first;
    later.id = "gw-1:test_alarm:line-1:5000:2";
    later.asset = "line-1";
    later.ts = 5000;
    later.received = 5100;
    later.seq = 9;
    ASSERT_TRUE(store->record_test_alarm(kGw1, later));
    ASSERT_TRUE(store->record_test_alarm(kGw1, first)) << "the older one re-sent (QoS 1)";
    auto s = summary(kGw1);
    ASSERT_TRUE(s.last_test_alarm);
    EXPECT_EQ(*s.last_test_alarm, later);
    EXPECT_EQ(s.open_alarms, 0);
    EXPECT_TRUE(store->alarms(true)->empty());
    EXPECT_FALSE(summary(kGw2).last_test_alarm) << "another gateway's is its own";
}

// --- concurrent instances ---------------------------------------------------------------------
// Two stores on one database, on two threads, as two county processes consuming one queue: the
// messages of one gateway come to either, in any order, and a redelivered one may come to both.

namespace {

// The inclusive runs of the seqs in `missing` (sorted), as gaps() gives them.
std::vector<std::pair<uint64_t, uint64_t>> runs(const std::set<uint64_t>& missing) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (uint64_t s : missing) {
        if (!out.empty() && out.back().second + 1 == s)
            out.back().second = s;
        else
            out.emplace_back(s, s);
    }
    return out;
}

}  // namespace

TEST_P(CountyStore, TwoInstancesInterleavingOneGatewayKeepItsLedgerExact) {
    constexpr int kRounds = 12;
    constexpr uint64_t kSeqs = 40;
    auto second = another();
    std::mt19937 random(20261201);
    for (int round = 0; round < kRounds; ++round) {
        // A new gateway each round: its first message reaches both instances at once too.
        const GatewayRef gw{"plant-c", "gw-" + std::to_string(round)};
        std::set<uint64_t> withheld;  // never sent: the gaps, exactly
        for (uint64_t s = 2; s < kSeqs; ++s)
            if (random() % 7 == 0) withheld.insert(s);
        // Every seq sent goes to one instance or the other; one in three to both (redelivered).
        std::vector<uint64_t> to_first, to_second;
        for (uint64_t s = 1; s <= kSeqs; ++s) {
            if (withheld.contains(s)) continue;
            const auto pick = random() % 3;
            if (pick != 1) to_first.push_back(s);
            if (pick != 0) to_second.push_back(s);
        }
        std::shuffle(to_first.begin(), to_first.end(), random);
        std::shuffle(to_second.begin(), to_second.end(), random);

        std::atomic<int> fresh{0}, failures{0};
        auto take = [&](Store& s, const std::vector<uint64_t>& seqs) {
            for (uint64_t seq : seqs) {
                auto added = s.record_seq(gw, seq, 1000 + static_cast<WallMs>(seq));
                if (!added)
                    ++failures;
                else if (*added == SeqLedger::Added::fresh)
                    ++fresh;
            }
        };
        std::thread a(take, std::ref(*store), std::cref(to_first));
        std::thread b(take, std::ref(*second), std::cref(to_second));
        a.join();
        b.join();

        ASSERT_EQ(failures, 0) << "round " << round;
        // Each seq counted fresh exactly once, whichever instance had it first.
        EXPECT_EQ(static_cast<uint64_t>(fresh), kSeqs - withheld.size()) << "round " << round;
        auto s = summary(gw);
        EXPECT_EQ(s.received, kSeqs - withheld.size()) << "round " << round;
        EXPECT_EQ(s.missing, withheld.size()) << "round " << round;
        EXPECT_EQ(s.last_seq, kSeqs) << "round " << round;
        auto all = store->gaps();
        ASSERT_TRUE(all);
        std::vector<std::pair<uint64_t, uint64_t>> got;
        for (const auto& g : *all)
            if (g.gw == gw)
                for (const auto& gap : g.gaps) got.emplace_back(gap.first, gap.last);
        EXPECT_EQ(got, runs(withheld)) << "round " << round;
    }
}

TEST_P(CountyStore, TwoInstancesTakingOneAlarmsEventsKeepOneAlarmPerId) {
    constexpr int kAlarms = 30;
    auto second = another();
    // The first instance has the raises, the second the clears and a re-sent raise of each, in
    // orders of their own: a clear may overtake its raise, a re-send may come last.
    std::vector<AlarmRecord> first_events, second_events;
    for (int i = 0; i < kAlarms; ++i) {
        const std::string id = "alarm-" + std::to_string(i);
        first_events.push_back(raised(kGw1, id, 100 + i));
        second_events.push_back(cleared(kGw1, id, 5000 + i, 200 + i));
        second_events.push_back(raised(kGw1, id, 300 + i));
    }
    std::mt19937 random(7);
    std::shuffle(first_events.begin(), first_events.end(), random);
    std::shuffle(second_events.begin(), second_events.end(), random);
    std::atomic<int> failures{0};
    auto take = [&](Store& s, const std::vector<AlarmRecord>& events) {
        for (const auto& e : events) {
            if (!s.touch(kGw1, e.received) || !s.record_alarm(e)) ++failures;
        }
    };
    std::thread a(take, std::ref(*store), std::cref(first_events));
    std::thread b(take, std::ref(*second), std::cref(second_events));
    a.join();
    b.join();

    ASSERT_EQ(failures, 0);
    EXPECT_TRUE(store->alarms(false)->empty());
    auto all = store->alarms(true);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), static_cast<size_t>(kAlarms));
    for (const auto& alarm : *all) {
        const int i = std::stoi(alarm.id.substr(6));
        ASSERT_TRUE(alarm.cleared) << alarm.id;
        EXPECT_EQ(*alarm.cleared, 5000 + i) << alarm.id;
        // What the raise said, whichever came first.
        EXPECT_EQ(alarm.raised, 2000) << alarm.id;
        EXPECT_EQ(alarm.started, 1000) << alarm.id;
        EXPECT_EQ(alarm.severity, "critical") << alarm.id;
        EXPECT_EQ(alarm.details, R"({"peak_w":812000.5})") << alarm.id;
    }
    auto s = summary(kGw1);
    EXPECT_EQ(s.open_alarms, 0);
    EXPECT_EQ(s.last_message, 300 + kAlarms - 1);
}

TEST_P(CountyStore, PowerMinutesMergeAndOldOnesExpire) {
    const WallMs m0 = 1'795'298'400'000;  // a minute's start
    ASSERT_TRUE(store->record_power(kGw1,
                                    {{"m1", m0, 2, 300.0, 100.0, 200.0},
                                     {"m1", m0 + 60'000, 1, 50.0, 50.0, 50.0},
                                     {"m2", m0, 1, -10.0, -10.0, -10.0}},
                                    m0));
    // The same minute again (the rest of its readings, in a later message): merged.
    ASSERT_TRUE(store->record_power(kGw1, {{"m1", m0, 1, 400.0, 400.0, 400.0}}, m0));
    ASSERT_TRUE(store->record_power(kGw2, {{"m1", m0, 1, 7.0, 7.0, 7.0}}, m0));
    auto got = store->power(kGw1, m0, m0 + 120'000);
    ASSERT_TRUE(got) << got.error().message;
    const std::vector<PowerMinute> want{{"m1", m0, 3, 700.0, 100.0, 400.0},
                                        {"m1", m0 + 60'000, 1, 50.0, 50.0, 50.0},
                                        {"m2", m0, 1, -10.0, -10.0, -10.0}};
    EXPECT_EQ(*got, want);
    EXPECT_EQ(store->power(kGw1, m0 + 60'000, m0 + 120'000)->size(), 1u);  // [from, to)
    EXPECT_TRUE(store->power(kGw1, m0, m0)->empty());
    EXPECT_TRUE(store->power({"plant-03", "gw-999"}, m0, m0 + 120'000)->empty());

    // Retention: what lies before keep_from is neither taken nor kept; other gateways untouched.
    ASSERT_TRUE(store->record_power(
        kGw1, {{"m1", m0, 5, 1.0, 1.0, 1.0}, {"m1", m0 + 120'000, 1, 9.0, 9.0, 9.0}}, m0 + 60'000));
    const std::vector<PowerMinute> kept{{"m1", m0 + 60'000, 1, 50.0, 50.0, 50.0},
                                        {"m1", m0 + 120'000, 1, 9.0, 9.0, 9.0}};
    EXPECT_EQ(*store->power(kGw1, 0, m0 + 180'000), kept);
    EXPECT_EQ(store->power(kGw2, 0, m0 + 180'000)->size(), 1u);
    reopen();
    EXPECT_EQ(*store->power(kGw1, 0, m0 + 180'000), kept);
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
