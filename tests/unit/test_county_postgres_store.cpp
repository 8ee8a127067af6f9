// What only the PostgreSQL store has (county/store/postgres_store.hpp); the behaviour it shares
// with SQLite is held by the contract suite (test_county_store.cpp). A real server:
// tests/support/postgres.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "county/store/pg.hpp"
#include "county/store/postgres_store.hpp"
#include "support/postgres.hpp"

using namespace sealwatch;
using namespace sealwatch::county;
using sealwatch::test_support::Postgres;

namespace {

const GatewayRef kGw{"plant-03", "gw-001"};

class CountyPostgresStore : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = test_support::postgres_unavailable(); !why.empty()) {
            if (test_support::in_ci()) FAIL() << why;
            GTEST_SKIP() << why;
        }
        conninfo = Postgres::shared().create_database();
        ASSERT_FALSE(conninfo.empty()) << Postgres::shared().problem();
    }
    void TearDown() override {
        if (!conninfo.empty()) Postgres::shared().drop_database(conninfo);
    }

    std::unique_ptr<PostgresStore> open(PostgresStore::Mode mode = PostgresStore::Mode::read_write,
                                        const std::atomic<bool>* keep_trying = nullptr) {
        auto s = PostgresStore::open({conninfo, mode, keep_trying});
        EXPECT_TRUE(s) << s.error().message;
        return s ? std::move(*s) : nullptr;
    }
    // The database by hand, as an operator with psql.
    pg::Rows sql(const std::string& text) {
        auto c = pg::Connection::open(conninfo);
        EXPECT_TRUE(c) << c.error().message;
        auto rows = c->exec(text);
        EXPECT_TRUE(rows) << rows.error().message;
        return std::move(*rows);
    }

    std::string conninfo;
};

}  // namespace

TEST_F(CountyPostgresStore, AMillionMessagesInOrderAreOneRange) {
    auto store = open();
    for (uint64_t s = 1; s <= 200; ++s) ASSERT_TRUE(store->record_seq(kGw, s, 100));
    ASSERT_TRUE(store->record_seq(kGw, 1'000'000, 200));  // a gap: a second range
    EXPECT_EQ(sql("SELECT count(*) FROM seq_ranges").integer(0, 0), 2);
    EXPECT_EQ(sql("SELECT count(*) FROM seq_gaps").integer(0, 0), 1);
    EXPECT_EQ(store->gateways()->at(0).missing, 1'000'000u - 201u);
}

TEST_F(CountyPostgresStore, TheDatabaseItselfRefusesASeqTwice) {
    auto store = open();
    ASSERT_TRUE(store->record_seq(kGw, 1, 100));
    ASSERT_TRUE(store->record_seq(kGw, 2, 100));
    ASSERT_TRUE(store->record_seq(kGw, 5, 100));
    // A writer that forgot the ledger's rules (or the row lock) cannot make seq 2 count twice:
    // the exclusion constraint refuses a range that overlaps one already there.
    auto c = pg::Connection::open(conninfo);
    ASSERT_TRUE(c);
    auto twice = c->run(
        "INSERT INTO seq_ranges(gateway, first, last) "
        "SELECT id, 2, 3 FROM gateways");
    ASSERT_FALSE(twice);
    EXPECT_NE(twice.error().message.find("conflicting key value violates exclusion constraint"),
              std::string::npos)
        << twice.error().message;
    EXPECT_FALSE(c->transient_failure());  // a statement's failure: not to be retried
    EXPECT_TRUE(
        c->run("INSERT INTO seq_ranges(gateway, first, last) SELECT id, 3, 3 FROM gateways"));
}

TEST_F(CountyPostgresStore, ALostConnectionIsMadeAgainAndTheCallGoesThrough) {
    std::atomic<bool> keep_trying{true};
    auto store = open(PostgresStore::Mode::read_write, &keep_trying);
    ASSERT_TRUE(store->record_seq(kGw, 1, 100));
    // As a server restart or a failover looks to a client: its connection is cut.
    Postgres::shared().cut_connections(conninfo);
    auto added = store->record_seq(kGw, 2, 200);
    ASSERT_TRUE(added) << added.error().message;
    EXPECT_EQ(*added, SeqLedger::Added::fresh);
    EXPECT_EQ(store->gateways()->at(0).received, 2u);

    // A reader (no keep_trying) makes one new connection too.
    auto reader = open(PostgresStore::Mode::read_only);
    ASSERT_TRUE(reader->gateways());
    Postgres::shared().cut_connections(conninfo);
    auto read = reader->gateways();
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->at(0).received, 2u);
}

TEST_F(CountyPostgresStore, AStatementsFailureIsNotRetried) {
    std::atomic<bool> keep_trying{true};
    auto store = open(PostgresStore::Mode::read_write, &keep_trying);
    ASSERT_TRUE(store->know(kGw, 100));
    sql("ALTER TABLE alarms ADD CONSTRAINT no_alarms CHECK (false)");
    AlarmRecord a;
    a.gw = kGw;
    a.id = "a1";
    a.details = "{}";
    const auto t0 = std::chrono::steady_clock::now();
    auto r = store->record_alarm(a);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("no_alarms"), std::string::npos) << r.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST_F(CountyPostgresStore, AReaderNeedsRunFirstAndWritesNothing) {
    auto early = PostgresStore::open({conninfo, PostgresStore::Mode::read_only});
    ASSERT_FALSE(early);
    EXPECT_NE(early.error().message.find("has `run` started?"), std::string::npos)
        << early.error().message;
    auto writer = open();
    ASSERT_TRUE(writer->record_seq(kGw, 2, 100));
    auto reader = open(PostgresStore::Mode::read_only);
    EXPECT_EQ(reader->gateways()->at(0).missing, 1u);
    ASSERT_TRUE(writer->record_seq(kGw, 1, 200));
    EXPECT_EQ(reader->gateways()->at(0).missing, 0u);
    auto write = reader->touch(kGw, 300);
    ASSERT_FALSE(write);
    EXPECT_NE(write.error().message.find("read-only"), std::string::npos) << write.error().message;
}

TEST_F(CountyPostgresStore, ANewerSchemaIsRefused) {
    ASSERT_TRUE(open());
    sql("UPDATE county_schema SET version = 99");
    for (auto mode : {PostgresStore::Mode::read_write, PostgresStore::Mode::read_only}) {
        auto s = PostgresStore::open({conninfo, mode});
        ASSERT_FALSE(s);
        EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
    }
}

TEST_F(CountyPostgresStore, InstancesStartingAtOnceMakeTheSchemaOnce) {
    std::atomic<int> opened{0};
    std::vector<std::thread> starting;
    starting.reserve(3);
    for (int i = 0; i < 3; ++i)
        starting.emplace_back([&] {
            if (PostgresStore::open({conninfo})) ++opened;
        });
    for (auto& t : starting) t.join();
    EXPECT_EQ(opened, 3);
    EXPECT_EQ(sql("SELECT version FROM county_schema").size(), 1);
}
