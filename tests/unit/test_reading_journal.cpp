// The reading journal on real files: what a killed agent leaves is read back whole, a torn
// tail is dropped and never misread, and folding it into a real store stores every reading
// exactly once, whenever the agent died.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <initializer_list>

#include "store/reading_journal.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using sealwatch::test_support::q;
using sealwatch::test_support::raw_db;
using sealwatch::test_support::reading;
using sealwatch::test_support::TempDir;

namespace {

store::ReadingJournal open_journal(const TempDir& dir) {
    auto j = store::ReadingJournal::open(dir / store::kJournalFile);
    EXPECT_TRUE(j) << j.error().message;
    return std::move(*j);
}

store::Store open_store(const TempDir& dir) {
    auto s = store::Store::open(dir.db(), {});
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
}

int64_t stored_readings(const TempDir& dir) {
    auto db = raw_db(dir.db());
    return *db.scalar("SELECT count(*) FROM readings");
}

off_t file_size(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_size;
}

Reading full_reading(WallMs ts) {
    Reading r = reading("m-a", ts, -1234.5, 182340.51);
    r.values.push_back({q("pf"), 0.92});
    r.serial = "630001";
    return r;
}

// The agent's start on the data_dir: its store, its journal, and what folding the journal did.
struct Start {
    store::Store store;
    store::ReadingJournal journal;
    Result<store::JournalRecovery> recovery;
};
Start next_start(const TempDir& dir) {
    Start st{open_store(dir), open_journal(dir), {}};
    st.recovery = store::fold_journal(st.journal, st.store);
    return st;
}

// A run on the data_dir that journals readings taken at `ts` and is killed before its flush.
void killed_run(const TempDir& dir, std::initializer_list<WallMs> ts) {
    auto run = next_start(dir);
    ASSERT_TRUE(run.recovery) << run.recovery.error().message;
    for (auto t : ts) ASSERT_TRUE(run.journal.append(full_reading(t)));
}

}  // namespace

TEST(ReadingJournal, Crc32IsZlibs) {
    const std::string text = "123456789";  // the standard check value
    EXPECT_EQ(store::crc32({reinterpret_cast<const uint8_t*>(text.data()), text.size()}),
              0xCBF43926u);
}

TEST(ReadingJournal, ReadsBackWhatWasAppended) {
    TempDir dir;
    auto j = open_journal(dir);
    ASSERT_TRUE(j.start(7));
    ASSERT_TRUE(j.append(full_reading(1000)));
    ASSERT_TRUE(j.append(reading("m-b", 1100, 300, 20)));
    // Read through another descriptor, as the next process would after a kill -9.
    auto again = open_journal(dir);
    auto c = again.read();
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->generation, 7u);
    EXPECT_FALSE(c->torn_tail);
    ASSERT_EQ(c->readings.size(), 2u);
    const auto& r = c->readings[0];
    EXPECT_EQ(r.meter, "m-a");
    EXPECT_EQ(r.wall_ms, 1000);
    ASSERT_TRUE(r.serial);
    EXPECT_EQ(*r.serial, "630001");
    ASSERT_EQ(r.values.size(), 3u);
    EXPECT_EQ(r.values[0].quantity, q("p_w"));
    EXPECT_EQ(r.values[0].value, -1234.5);
    EXPECT_EQ(r.values[2].value, 0.92);
    EXPECT_FALSE(c->readings[1].serial);
    EXPECT_EQ(c->readings[1].meter, "m-b");
}

TEST(ReadingJournal, StartEmptiesTheFile) {
    TempDir dir;
    auto j = open_journal(dir);
    ASSERT_TRUE(j.start(1));
    ASSERT_TRUE(j.append(full_reading(1000)));
    ASSERT_TRUE(j.start(2));
    ASSERT_TRUE(j.append(full_reading(2000)));
    auto c = j.read();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->generation, 2u);
    ASSERT_EQ(c->readings.size(), 1u);
    EXPECT_EQ(c->readings[0].wall_ms, 2000);
}

namespace {
// A generation of three readings, at 1000, 1001 and 1002.
void start_with_three(store::ReadingJournal& j, uint64_t generation) {
    ASSERT_TRUE(j.start(generation));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j.append(full_reading(1000 + i)));
}
}  // namespace

TEST(ReadingJournal, ANewGenerationOverwritesTheOldInPlaceAndNeverReplaysItsLeftovers) {
    TempDir dir;
    auto j = open_journal(dir);
    start_with_three(j, 5);
    const off_t three = file_size(dir / store::kJournalFile);
    ASSERT_TRUE(j.start(6) && j.append(full_reading(2000)));
    // Not truncated: the same pages are written again.
    EXPECT_EQ(file_size(dir / store::kJournalFile), three);
    auto c = j.read();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->generation, 6u);
    ASSERT_EQ(c->readings.size(), 1u);  // generation 5's two last records are left, not read
    EXPECT_EQ(c->readings[0].wall_ms, 2000);
    EXPECT_FALSE(c->torn_tail);
    // A new object (a new run) empties the file first: it does not know what the file holds.
    auto again = open_journal(dir);
    ASSERT_TRUE(again.start(7));
    EXPECT_EQ(file_size(dir / store::kJournalFile), 16);
}

TEST(ReadingJournal, ATornTailIsDroppedNotMisread) {
    TempDir dir;
    const auto path = dir / store::kJournalFile;
    {
        auto j = open_journal(dir);
        start_with_three(j, 3);
    }
    const off_t whole = file_size(path);
    // Every cut inside the last record (a process killed in mid-write) leaves the first two.
    for (off_t cut = 1; cut < 40; ++cut) {
        ASSERT_EQ(::truncate(path.c_str(), whole - cut), 0);
        auto c = open_journal(dir).read();
        ASSERT_TRUE(c);
        EXPECT_EQ(c->readings.size(), 2u) << "cut " << cut;
        EXPECT_TRUE(c->torn_tail);
    }
    // A flipped byte inside the second record (a power cut's stale block) ends the journal there.
    {
        auto j = open_journal(dir);
        start_with_three(j, 4);
    }
    const off_t record = (file_size(path) - 16) / 3;
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(16 + record + 20);
        f.put('\x5a');
    }
    auto c = open_journal(dir).read();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->readings.size(), 1u);
    EXPECT_TRUE(c->torn_tail);
    // A header that is not ours: no generation, nothing to replay.
    {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << "not a journal at all";
    }
    auto foreign = open_journal(dir).read();
    ASSERT_TRUE(foreign);
    EXPECT_EQ(foreign->generation, 0u);
    EXPECT_TRUE(foreign->readings.empty());
}

TEST(ReadingJournal, FoldReplaysWhatAKilledRunLeft) {
    TempDir dir;
    killed_run(dir, {1000, 2000});
    auto next = next_start(dir);
    ASSERT_TRUE(next.recovery) << next.recovery.error().message;
    EXPECT_EQ(next.recovery->replayed, 2u);
    EXPECT_EQ(stored_readings(dir), 2);
    EXPECT_EQ(next.journal.generation(), 2u);  // the killed run's was 1, a fresh data_dir's
    auto left = next.journal.read();
    ASSERT_TRUE(left);
    EXPECT_TRUE(left->readings.empty());
    // The replayed readings are chained like any batch, and go out as telemetry.
    EXPECT_EQ(next.store.chain_length(), 1);
    auto backlog = next.store.backlog();
    ASSERT_TRUE(backlog);
    EXPECT_EQ(backlog->unsent_readings, 2);
}

TEST(ReadingJournal, AFoldThatCommittedIsNotReplayedAgain) {
    TempDir dir;
    {
        auto first = next_start(dir);
        ASSERT_TRUE(first.recovery);
        ASSERT_TRUE(first.journal.append(full_reading(1000)));
        std::vector<Reading> pending{full_reading(1000)};
        // The flush committed, and the agent was killed before it started the next generation.
        ASSERT_TRUE(first.store.append_readings(pending, first.journal.generation()));
    }
    auto next = next_start(dir);
    ASSERT_TRUE(next.recovery);
    EXPECT_EQ(next.recovery->replayed, 0u);
    EXPECT_EQ(stored_readings(dir), 1);
    EXPECT_GT(next.journal.generation(), 1u);  // never one the store has recorded
}

// The journal is a re-read path: what it gives back was scaled by the poller already. The
// replay stores the primary values as they were and the ratios beside them, scaling nothing.
TEST(ReadingJournal, ReplayKeepsPrimaryValuesAndTheirRatiosWithoutScalingAgain) {
    TempDir dir;
    {
        auto run = next_start(dir);
        ASSERT_TRUE(run.recovery);
        Reading r = reading("m-ct", 1000, 1410000, 250000);  // already × 200 × 100
        r.ratios = {200, 100};
        r.clock_unsynced = true;
        ASSERT_TRUE(run.journal.append(r));
        ASSERT_TRUE(run.journal.append(reading("m-b", 1100, 300, 20)));
    }
    auto back = open_journal(dir).read();
    ASSERT_TRUE(back);
    ASSERT_EQ(back->readings.size(), 2u);
    EXPECT_EQ(back->readings[0].ratios, (InstrumentRatios{200, 100}));
    EXPECT_TRUE(back->readings[0].clock_unsynced);
    EXPECT_FALSE(back->readings[1].clock_unsynced);
    auto next = next_start(dir);
    ASSERT_TRUE(next.recovery);
    EXPECT_EQ(next.recovery->replayed, 2u);
    auto db = raw_db(dir.db());
    auto st = db.prepare(
        "SELECT ct_ratio, pt_ratio, vals, clock_unsynced FROM readings "
        "ORDER BY ts_ms");
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->real(0), 200);
    EXPECT_EQ(st->real(1), 100);
    EXPECT_EQ(st->int64(3), 1);
    auto values = store::unpack_values(st->blob(2));
    ASSERT_EQ(values.size(), 2u);
    EXPECT_EQ(values[0].value, 1410000);
    EXPECT_EQ(values[1].value, 250000);
    ASSERT_TRUE(*st->step());
    EXPECT_TRUE(st->is_null(0));  // no transformer, clock synchronised: nothing stored
    EXPECT_TRUE(st->is_null(3));
}

// A journal left by the agent before the ratios (records end after their values) is replayed
// after the upgrade, its readings with ratios 1.
TEST(ReadingJournal, RecordsWithoutRatiosFromTheVersionBeforeAreRead) {
    TempDir dir;
    auto put = [](std::string& out, auto v) {
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    };
    std::string file = "SWJ1";
    put(file, uint64_t{5});
    put(file, store::crc32({reinterpret_cast<const uint8_t*>(file.data()), file.size()}));
    std::string payload;
    put(payload, int64_t{1000});
    put(payload, uint16_t{3});
    payload += "m-a";
    put(payload, uint16_t{0xFFFF});  // no serial
    put(payload, uint16_t{1});
    put(payload, q("p_w"));
    put(payload, 1200.5);
    put(file, static_cast<uint32_t>(payload.size()));
    put(file, store::crc32({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}));
    file += payload;
    std::ofstream(dir / store::kJournalFile, std::ios::binary) << file;

    auto c = open_journal(dir).read();
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->torn_tail);
    ASSERT_EQ(c->readings.size(), 1u);
    EXPECT_EQ(c->readings[0].meter, "m-a");
    ASSERT_EQ(c->readings[0].values.size(), 1u);
    EXPECT_EQ(c->readings[0].values[0].value, 1200.5);
    EXPECT_EQ(c->readings[0].ratios, InstrumentRatios{});
    EXPECT_FALSE(c->readings[0].clock_unsynced);
}

TEST(ReadingJournal, ReadingsTheStoreRefusesAreKeptInTheNewGeneration) {
    TempDir dir;
    killed_run(dir, {1000});
    {
        // The store cannot take readings (e.g. a broken table): the fold must not lose them.
        auto db = raw_db(dir.db());
        ASSERT_TRUE(
            db.exec("CREATE TRIGGER refuse BEFORE INSERT ON readings "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"));
    }
    {
        auto refused = next_start(dir);
        ASSERT_TRUE(refused.recovery) << refused.recovery.error().message;
        EXPECT_EQ(refused.recovery->replayed, 0u);
        ASSERT_EQ(refused.recovery->unstored.size(), 1u);
        EXPECT_NE(refused.recovery->store_error.find("refused"), std::string::npos);
        auto kept = refused.journal.read();
        ASSERT_TRUE(kept);
        EXPECT_EQ(kept->readings.size(), 1u);  // still safe from the next kill
    }
    {
        auto db = raw_db(dir.db());
        ASSERT_TRUE(db.exec("DROP TRIGGER refuse"));
    }
    auto next = next_start(dir);
    ASSERT_TRUE(next.recovery);
    EXPECT_EQ(next.recovery->replayed, 1u);
    EXPECT_EQ(stored_readings(dir), 1);
}
