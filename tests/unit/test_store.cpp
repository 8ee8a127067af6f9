// The store on real SQLite files in a temporary folder.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/quantities.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace sealwatch;

namespace {

using sealwatch::test_support::q;
using sealwatch::test_support::raw_db;
using sealwatch::test_support::reading;
using sealwatch::test_support::TempDir;

Event event(const std::string& id, WallMs ts) {
    Event e = test_support::reenergized(id, ts);
    e.started = ts - 60000;
    e.details["peak_w"] = 812000.5;
    return e;
}

store::Store open(const TempDir& dir, const store::Options& o = {}) {
    auto s = store::Store::open(dir.db(), o);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
}

}  // namespace

TEST(Store, PacksValuesLosslessly) {
    std::vector<QuantityValue> v = {
        {q("p_w"), -1234.5}, {q("e_imp_kwh"), 182340.51}, {q("pf"), 0.92}};
    auto back = store::unpack_values(store::pack_values(v));
    ASSERT_EQ(back.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(back[i].quantity, v[i].quantity);
        EXPECT_EQ(back[i].value, v[i].value);
    }
}

TEST(Store, TelemetryBatchesBySizeOrAge) {
    TempDir dir;
    auto s = open(dir);
    std::vector<Reading> batch;
    batch.reserve(5);
    for (int i = 0; i < 5; ++i) batch.push_back(reading("m1", 1000 + i * 1000, 100 + i, 10 + i));
    ASSERT_TRUE(s.append_readings(batch));
    // 5 readings, batches of 10, oldest (1000) not older than the flush time (500): wait.
    auto none = s.form_telemetry_message(10, 500);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    // Batches of 3: one full message now.
    auto m = s.form_telemetry_message(3, 500);
    ASSERT_TRUE(m && *m);
    EXPECT_EQ((*m)->seq, 1u);
    EXPECT_EQ((*m)->last - (*m)->first, 2);
    // The rest (2) goes once old enough.
    auto rest = s.form_telemetry_message(3, 100000);
    ASSERT_TRUE(rest && *rest);
    EXPECT_EQ((*rest)->seq, 2u);
    auto payload = s.payload(**rest);
    ASSERT_TRUE(payload);
    auto j = nlohmann::json::parse(*payload);
    EXPECT_EQ(j["seq"], 2);
    ASSERT_EQ(j["readings"].size(), 2u);
    EXPECT_EQ(j["readings"][0]["meter"], "m1");
    EXPECT_EQ(j["readings"][0]["ts"], "1970-01-01T00:00:04.000Z");
    EXPECT_EQ(j["readings"][0]["values"]["p_w"], 103.0);
    EXPECT_EQ(j["readings"][1]["values"]["e_imp_kwh"], 14.0);
}

// An idle pump (nothing to form) is remembered, and the memory never hides what this store
// writes next nor readings coming due: each of them is formed at the next call.
TEST(Store, AnIdlePlanNeverHidesWhatComesNext) {
    TempDir dir;
    auto s = open(dir);
    const store::Store::FormLimits wait_for_ten{8, 10, 500};
    auto idle = [&](const store::Store::FormLimits& limits) {
        auto rows = s.form_messages(limits);
        EXPECT_TRUE(rows) << rows.error().message;
        return rows && rows->empty();
    };
    EXPECT_TRUE(idle(wait_for_ten));
    EXPECT_TRUE(idle(wait_for_ten));
    // Readings written: seen, but not due yet (5 of 10, the oldest at 1000, not before 500).
    std::vector<Reading> batch;
    batch.reserve(5);
    for (int i = 0; i < 5; ++i) batch.push_back(reading("m1", 1000 + i * 1000, 1, 1));
    ASSERT_TRUE(s.append_readings(batch));
    EXPECT_TRUE(idle(wait_for_ten));
    EXPECT_TRUE(idle(wait_for_ten));
    // Coming due by age with nothing written meanwhile.
    auto due = s.form_messages({8, 10, 1001});
    ASSERT_TRUE(due);
    ASSERT_EQ(due->size(), 1u);
    EXPECT_EQ((*due)[0].kind, store::MessageKind::telemetry);
    EXPECT_TRUE(idle(wait_for_ten));
    // An event written after an idle plan.
    ASSERT_TRUE(s.append_event(event("a1", 2000)));
    auto ev = s.form_messages(wait_for_ten);
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->size(), 1u);
    EXPECT_EQ((*ev)[0].kind, store::MessageKind::event);
    // Waiting readings coming due by count once the batch size is smaller.
    ASSERT_TRUE(s.append_readings(std::vector{reading("m1", 9000, 1, 1)}));
    EXPECT_TRUE(idle(wait_for_ten));
    auto by_count = s.form_messages({8, 1, 500});
    ASSERT_TRUE(by_count);
    EXPECT_EQ(by_count->size(), 1u);
}

// The memory rests on this connection being the database's only writer: a reading another
// connection writes is not looked for until this one changes something. (Shows the idle pump
// reads nothing; the agent's store is the only writer of readings, events and rollups.)
TEST(Store, AnIdlePlanReadsNothingUntilThisConnectionWrites) {
    TempDir dir;
    auto s = open(dir);
    const store::Store::FormLimits any{8, 1, 0};
    ASSERT_TRUE(s.form_messages(any));
    ASSERT_TRUE(s.append_readings(std::vector{reading("m1", 1000, 1, 1)}));
    auto first = s.form_messages(any);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 1u);
    ASSERT_TRUE(s.form_messages(any));  // idle, remembered
    {
        auto other = raw_db(dir.db());
        ASSERT_TRUE(
            other.exec("INSERT INTO readings(meter, ts_ms, vals) "
                       "SELECT meter, ts_ms + 1000, vals FROM readings"));
    }
    auto unseen = s.form_messages(any);
    ASSERT_TRUE(unseen);
    EXPECT_TRUE(unseen->empty());
    ASSERT_TRUE(s.set_meta("touch", "1"));  // this connection writes: planned again
    auto seen = s.form_messages(any);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->size(), 1u);
}

TEST(Store, SeqSurvivesReopenAndResendIsIdentical) {
    TempDir dir;
    std::string first_payload;
    {
        auto s = open(dir);
        ASSERT_TRUE(s.append_readings(std::vector{reading("m1", 1000, 1, 1)}));
        ASSERT_TRUE(s.append_event(event("a1", 2000)));
        auto ev = s.form_event_message();
        ASSERT_TRUE(ev && *ev);
        EXPECT_EQ((*ev)->seq, 1u);
        first_payload = *s.payload(**ev);
        auto te = s.form_telemetry_message(100, 1000000);
        ASSERT_TRUE(te && *te);
        EXPECT_EQ((*te)->seq, 2u);
        std::vector<uint64_t> acked = {2};
        ASSERT_TRUE(s.acked(acked));
    }
    auto s = open(dir);
    auto rows = s.unacked();
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].seq, 1u);
    EXPECT_EQ(*s.payload((*rows)[0]), first_payload);
    auto j = nlohmann::ordered_json::parse(first_payload);
    EXPECT_EQ(j.begin().key(), "seq");  // seq first, then the event object
    EXPECT_EQ(j["id"], "a1");
    EXPECT_EQ(j["details"]["peak_w"], 812000.5);
    ASSERT_TRUE(s.append_event(event("a2", 3000)));
    auto next = s.form_event_message();
    ASSERT_TRUE(next && *next);
    EXPECT_EQ((*next)->seq, 3u);  // never reused
    auto b = s.backlog();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->unacked_messages, 2);
    EXPECT_EQ(b->next_seq, 4u);
}

TEST(Store, EventsAreFormedOneByOneInOrder) {
    TempDir dir;
    auto s = open(dir);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.append_event(event("e" + std::to_string(i), i)));
    for (int i = 0; i < 3; ++i) {
        auto m = s.form_event_message();
        ASSERT_TRUE(m && *m);
        auto j = nlohmann::json::parse(*s.payload(**m));
        EXPECT_EQ(j["id"], "e" + std::to_string(i));
    }
    auto none = s.form_event_message();
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

TEST(Store, MeterStatusFollowsReadingsAndHealth) {
    TempDir dir;
    auto s = open(dir);
    auto r = reading("m1", 5000, 1, 1);
    r.serial = "630001";
    ASSERT_TRUE(s.append_readings(std::vector{r}));
    ASSERT_TRUE(s.set_meter_health({"m1", 6000, 0, MeterHealth::offline, "timeout"}));
    auto st = s.meter_status();
    ASSERT_TRUE(st);
    ASSERT_EQ(st->size(), 1u);
    EXPECT_EQ((*st)[0].health, "offline");
    EXPECT_EQ((*st)[0].last_reading_ms, 5000);
    EXPECT_EQ((*st)[0].serial, "630001");
}

TEST(Store, LatestValueLooksBackFiveReadings) {
    TempDir dir;
    auto s = open(dir);
    ASSERT_TRUE(s.append_readings(std::vector{reading("m1", 1000, 750, 1)}));
    auto without_power = [](WallMs ts) {
        Reading r;
        r.meter = "m1";
        r.wall_ms = ts;
        r.values = {{q("u_l1_v"), 230}};
        return r;
    };
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(s.append_readings(std::vector{without_power(2000 + i * 1000)}));
    auto p = s.latest_value("m1", q("p_w"));
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, std::optional<double>(750));
    ASSERT_TRUE(s.append_readings(std::vector{without_power(9000)}));
    EXPECT_EQ(*s.latest_value("m1", q("p_w")), std::nullopt);  // six back: too old to show
    EXPECT_EQ(*s.latest_value("m1", q("u_l1_v")), std::optional<double>(230));
    EXPECT_EQ(*s.latest_value("m9", q("p_w")), std::nullopt);
}

TEST(Store, ReadOnlyOpenSeesTheDaemonsData) {
    TempDir dir;
    auto s = open(dir);
    ASSERT_TRUE(s.append_readings(std::vector{reading("m1", 1000, 1, 1)}));
    auto ro = store::Store::open_read_only(dir.db());
    ASSERT_TRUE(ro) << ro.error().message;
    auto b = ro->backlog();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->unsent_readings, 1);
    EXPECT_FALSE(ro->set_meta("x", "y"));  // query_only
}

// A new file is made with small pages, which make a commit cheap in flash; a file made before
// (SQLite's 4 KiB) keeps its own, and with it the longer flush period that keeps its flash cost.
TEST(Store, NewFileGetsSmallPagesAndAnOlderFileKeepsItsOwn) {
    TempDir fresh;
    EXPECT_EQ(open(fresh).page_size(), store::kPageSize);
    EXPECT_EQ(store::default_flush_ms(store::kPageSize), 1000);

    TempDir older;
    {
        auto db = raw_db(older.db());
        ASSERT_TRUE(db.exec("PRAGMA page_size = 4096"));
        ASSERT_TRUE(db.exec("CREATE TABLE made_before (x)"));  // fixes the page size
    }
    auto s = open(older);
    EXPECT_EQ(s.page_size(), 4096);
    EXPECT_EQ(store::default_flush_ms(s.page_size()), 5000);
    ASSERT_TRUE(s.append_readings(std::vector{reading("m1", 1000, 1, 1)}));
}

TEST(Store, RetentionRollsUpOldDeliveredReadingsOnly) {
    TempDir dir;
    store::Options o;
    o.raw_retention_days = 1;
    auto s = open(dir, o);
    const WallMs day = 86400000;
    std::vector<Reading> old_batch;
    old_batch.reserve(120);
    for (int i = 0; i < 120; ++i) old_batch.push_back(reading("m1", WallMs{i} * 1000, 100 + i, i));
    ASSERT_TRUE(s.append_readings(old_batch));
    // Deliver the first 60 only.
    auto m = s.form_telemetry_message(60, 0);
    ASSERT_TRUE(m && *m);
    std::vector<uint64_t> acked = {(*m)->seq};
    ASSERT_TRUE(s.acked(acked));
    auto report = s.enforce_retention(3 * day);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->readings_rolled_up, 60);
    EXPECT_EQ(report->unsent_rolled_up, 0);
    auto db = raw_db(dir.db());
    auto left = db.scalar("SELECT count(*) FROM readings");
    EXPECT_EQ(*left, 60);
    auto rollup =
        db.prepare("SELECT n, p_min_w, p_avg_w, p_max_w, e_imp_kwh, pending FROM rollups");
    ASSERT_TRUE(rollup);
    ASSERT_TRUE(*rollup->step());
    EXPECT_EQ(rollup->int64(0), 60);
    EXPECT_EQ(rollup->real(1), 100);
    EXPECT_EQ(rollup->real(2), 129.5);
    EXPECT_EQ(rollup->real(3), 159);
    EXPECT_EQ(rollup->real(4), 59);
    EXPECT_EQ(rollup->int64(5), 0);  // delivered raw: the rollup need not be sent
}

TEST(Store, BudgetRollsUpUnsentAndKeepsEvents) {
    TempDir dir;
    store::Options o;
    o.budget_bytes = int64_t{256} * 1024;
    auto s = open(dir, o);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.append_event(event("e" + std::to_string(i), i)));
    for (int chunk = 0; chunk < 20; ++chunk) {
        std::vector<Reading> batch;
        for (int i = 0; i < 1000; ++i) {
            auto r = reading("m" + std::to_string(i % 8), (WallMs{chunk} * 1000 + i) * 1000, i, i);
            for (int k = 0; k < 10; ++k) r.values.push_back({static_cast<uint8_t>(k), 230.0 + k});
            batch.push_back(r);
        }
        ASSERT_TRUE(s.append_readings(batch));
    }
    auto before = s.size_bytes();
    ASSERT_GT(*before, o.budget_bytes);
    auto report = s.enforce_retention(WallMs{20000} * 1000);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_GT(report->unsent_rolled_up, 0);
    EXPECT_LE(report->bytes_after, o.budget_bytes);
    EXPECT_FALSE(report->over_budget);
    auto db = raw_db(dir.db());
    EXPECT_EQ(*db.scalar("SELECT count(*) FROM events"), 50);
    auto b = s.backlog();
    EXPECT_GT(b->unsent_rollups, 0);
    // The rollups of never-sent data go out as telemetry.
    auto m = s.form_rollup_message(100);
    ASSERT_TRUE(m && *m);
    auto j = nlohmann::json::parse(*s.payload(**m));
    ASSERT_FALSE(j["rollups"].empty());
    EXPECT_TRUE(j["rollups"][0].contains("p_max_w"));
    EXPECT_EQ(*db.scalar("PRAGMA integrity_check"), 0);  // "ok" reads as 0
}
