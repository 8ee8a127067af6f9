// The durable mark and the start check (store/durable_mark.hpp, store/recovery.hpp) on real
// files: the mark follows every FULL commit and survives a torn slot; a healthy database opens as
// it is; a missing, junk-filled or rewound one is set aside and replaced by one whose chain and
// seq go on from the mark, with what can be salvaged copied over.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/durable_mark.hpp"
#include "store/recovery.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using sealwatch::test_support::raw_db;
using sealwatch::test_support::reading;
using sealwatch::test_support::reenergized;
using sealwatch::test_support::TempDir;

namespace {

store::Options marked(const TempDir& dir) {
    store::Options o;
    o.durable_mark_path = dir / store::kDurableMarkFile;
    return o;
}

store::OpenedStore open(const TempDir& dir, const std::string& force = {}) {
    auto s = store::open_checked(dir.db(), marked(dir), 10000, force);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
}

// Some readings and an event, and their messages formed (seqs given out: a FULL commit).
void work(store::Store& s, WallMs t0) {
    for (int i = 0; i < 3; ++i) {
        std::vector<Reading> batch{reading("m1", t0 + int64_t{i} * 1000, 100.0 * i, 5.0 + i)};
        ASSERT_TRUE(s.append_readings(batch));
    }
    ASSERT_TRUE(s.append_event(reenergized("a" + std::to_string(t0), t0 + 10)));
    auto formed = s.form_messages({10, 1, t0 + 100000});
    ASSERT_TRUE(formed) << formed.error().message;
    ASSERT_FALSE(formed->empty());
}

}  // namespace

TEST(DurableMark, NewestWholeSlotWins) {
    TempDir dir;
    const auto path = dir / store::kDurableMarkFile;
    {
        auto f = store::DurableMarkFile::open(path);
        ASSERT_TRUE(f);
        EXPECT_FALSE(*f->read());
        for (int64_t n = 1; n <= 5; ++n) ASSERT_TRUE(f->write({n, {}, uint64_t(n) * 10}));
    }
    auto m = store::read_durable_mark(path);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->chain_n, 5);
    EXPECT_EQ(m->next_seq, 50u);
    EXPECT_EQ(std::filesystem::file_size(path), 128u) << "two slots, never more";
    // The newest write torn (slot A holds the odd writes): the one before it stands.
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(20);
        f.put('\x55');
    }
    m = store::read_durable_mark(path);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->chain_n, 4);
    // And the next write goes into the torn slot, not over the one that stood.
    auto f = store::DurableMarkFile::open(path);
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->read());
    ASSERT_TRUE(f->write({6, {}, 60}));
    EXPECT_EQ(store::read_durable_mark(path)->chain_n, 6);
}

TEST(StoreRecovery, MarkFollowsTheFullCommits) {
    TempDir dir;
    auto o = open(dir);
    EXPECT_FALSE(o.damage);
    EXPECT_TRUE(o.check_finished);
    work(o.store, 1000);
    auto m = store::read_durable_mark(dir / store::kDurableMarkFile);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->chain_n, o.store.chain_length());
    EXPECT_EQ(m->chain_head, o.store.chain_head());
    EXPECT_EQ(m->next_seq, o.store.backlog()->next_seq);
    EXPECT_EQ(o.store.durable_chain_length(), o.store.chain_length());
    // A readings batch alone (NORMAL) is not yet durable: the published head stays behind.
    std::vector<Reading> more{reading("m1", 9000, 1.0, 9.0)};
    ASSERT_TRUE(o.store.append_readings(more));
    EXPECT_EQ(o.store.durable_chain_length(), o.store.chain_length() - 1);
}

TEST(StoreRecovery, HealthyDatabaseOpensAsItIs) {
    TempDir dir;
    int64_t n = 0;
    {
        auto o = open(dir);
        work(o.store, 1000);
        n = o.store.chain_length();
    }
    auto o = open(dir);
    EXPECT_FALSE(o.damage);
    EXPECT_EQ(o.store.chain_length(), n);
    EXPECT_FALSE(std::filesystem::exists(dir.path / store::kDamagedFolder));
}

TEST(StoreRecovery, RewoundDatabaseIsSetAsideAndTheChainGoesOn) {
    TempDir dir;
    {
        auto o = open(dir);
        work(o.store, 1000);
    }
    const auto copy = dir / "older.db";
    std::filesystem::copy_file(dir.db(), copy);
    store::DurableMark before;
    {
        auto o = open(dir);
        ASSERT_TRUE(o.store.queue_state_command(
            {0, 5, "furnace-2", "sealed", "inspector", "n", "", "", 0}));
        work(o.store, 50000);
        before = *store::read_durable_mark(dir / store::kDurableMarkFile);
    }
    // An older copy put in its place (or a WAL lost): the chain and seq went backwards.
    std::filesystem::copy_file(copy, dir.db(), std::filesystem::copy_options::overwrite_existing);
    auto o = open(dir);
    ASSERT_TRUE(o.damage);
    EXPECT_NE(o.damage->reason.find("went backwards"), std::string::npos) << o.damage->reason;
    EXPECT_EQ(o.damage->continued_from_n, before.chain_n);
    EXPECT_EQ(o.damage->continued_seq, before.next_seq);
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(o.damage->kept_as) / "sw.db"));
    EXPECT_EQ(o.store.chain_length(), before.chain_n);
    EXPECT_EQ(o.store.chain_head(), before.chain_head);
    EXPECT_EQ(o.store.backlog()->next_seq, before.next_seq);
    // The next entry links to the mark's head, and an export's span starts from it.
    ASSERT_TRUE(o.store.append_event(reenergized("after", 90000)));
    EXPECT_EQ(o.store.chain_length(), before.chain_n + 1);
    auto span = o.store.chain_span(0, 100000);
    ASSERT_TRUE(span && *span);
    EXPECT_EQ((*span)->first_n, before.chain_n + 1);
    EXPECT_EQ((*span)->head_before, before.chain_head);
    // The new database is itself healthy and consistent with the mark at the next start.
    auto f = o.store.form_messages({10, 1, 100000});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->front().seq, before.next_seq);
}

TEST(StoreRecovery, JunkPageIsFoundAtStartAndTheLegalStatesAreSalvaged) {
    TempDir dir;
    {
        auto o = open(dir);
        for (int k = 0; k < 40; ++k) work(o.store, 1000 + k * 10000);
        ASSERT_TRUE(o.store.apply_state_command(
            *o.store.queue_state_command({0, 5, "furnace-2", "sealed", "x", "", "", "", 0}),
            {"furnace-2", "sealed", "inspector Wang", "seal 17", 5}, {}));
    }
    const auto pages = std::filesystem::file_size(dir.db()) / 4096;
    ASSERT_GT(pages, 6u);
    {
        std::fstream f(dir.db(), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(4096 * (pages - 2)));
        for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(i * 7 + 3));
    }
    auto o = open(dir);
    ASSERT_TRUE(o.damage);
    EXPECT_NE(o.damage->reason.find("quick_check"), std::string::npos) << o.damage->reason;
    auto states = o.store.asset_states();
    ASSERT_TRUE(states);
    if (std::find(o.damage->salvaged.begin(), o.damage->salvaged.end(), "asset_states") !=
        o.damage->salvaged.end()) {
        ASSERT_EQ(states->size(), 1u);
        EXPECT_EQ((*states)[0].by, "inspector Wang");
    }
}

TEST(StoreRecovery, MissingDatabaseAfterAMarkIsDamage) {
    TempDir dir;
    {
        auto o = open(dir);
        work(o.store, 1000);
    }
    std::filesystem::remove(dir.db());
    std::filesystem::remove(dir.db() + "-wal");
    auto o = open(dir);
    ASSERT_TRUE(o.damage);
    EXPECT_NE(o.damage->reason.find("missing"), std::string::npos) << o.damage->reason;
    EXPECT_GT(o.store.chain_length(), 0);
}

TEST(StoreRecovery, DamageFoundWhileRunningIsSetAsideWithoutACheck) {
    TempDir dir;
    {
        auto o = open(dir);
        work(o.store, 1000);
    }
    auto o = open(dir, "found damaged while running: database disk image is malformed");
    ASSERT_TRUE(o.damage);
    EXPECT_EQ(o.damage->reason, "found damaged while running: database disk image is malformed");
    EXPECT_GT(o.damage->continued_from_n, 0);
}
