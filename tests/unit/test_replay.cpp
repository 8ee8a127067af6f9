// The analyze CSV reader: the contract's format; dirty history (non-finite and impossible cells,
// broken rows, duplicates, jittered order) analysed and counted; with strict, a clear FILE:LINE
// for every bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/quantities.hpp"
#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/replay.hpp"
#include "wire/event.hpp"

using namespace sealwatch;

namespace {

config::Config cfg() {
    auto c = config::parse(R"([gateway]
id = "gw"
site = "s"
[uplink]
insecure = true
port = 1883
[[bus]]
id = "lan"
kind = "tcp"
host = "127.0.0.1"
[[meter]]
id = "m1"
bus = "lan"
unit = 1
profile = "eastron-sdm630"
interval_ms = 60000
[[meter]]
id = "m2"
bus = "lan"
unit = 2
profile = "eastron-sdm630"
interval_ms = 60000
[[asset]]
id = "f2"
state = "sealed"
meters = ["m1"]
standby_w = 300
)",
                           "c.toml");
    EXPECT_TRUE(c);
    return *c;
}

tl::expected<detect::ReplayStats, std::string> run(const std::string& text,
                                                   std::vector<Event>* events = nullptr,
                                                   detect::ReplayOptions opt = {}) {
    auto c = cfg();
    detect::Detector det(c);
    return detect::replay_csv_text(
        text, "r.csv", det,
        [&](const Event& e) {
            if (events) events->push_back(e);
        },
        opt);
}

tl::expected<detect::ReplayStats, std::string> strict(const std::string& text) {
    return run(text, nullptr, {.strict = true});
}

const detect::ReplayStats::Cells& ignored(const detect::ReplayStats& s, std::string_view q) {
    return s.ignored_cells[find_quantity(q).value()];  // value() throws on a misspelt name
}

const detect::ReplayStats::Rows& skipped(const detect::ReplayStats& s, detect::BadRow kind) {
    return s.skipped_rows[static_cast<size_t>(kind)];
}

// Minute rows of m1 (the sealed furnace's meter) from t0, "p_w,e_imp_kwh" cells given.
std::string rows(const std::vector<std::string>& cells, long t0 = 1795000000) {
    std::string csv;
    for (size_t i = 0; i < cells.size(); ++i)
        csv += std::to_string(t0 + 60 * static_cast<long>(i)) + ",m1," + cells[i] + "\n";
    return csv;
}

TEST(Replay, ReadsTheContractFormat) {
    std::vector<Event> ev;
    std::string csv = "ts,meter,p_w,e_imp_kwh\r\n";
    for (int i = 0; i < 6; ++i)
        csv += std::to_string(1795000000 + 60 * i) + ",m1," + (i ? "500000" : "") + "," +
               std::to_string(100 + i) + "\r\n";
    csv += "2026-11-19T08:00:00+08:00,m2,,\n\n";
    auto r = run(csv, &ev);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 7u);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, "reenergized");
}

TEST(Replay, SerialColumnIsAnExtension) {
    std::vector<Event> ev;
    auto r = run("ts,meter,serial,e_imp_kwh\n1795000000,m1,A1,5\n1795000060,m1,B2,0.1\n", &ev);
    ASSERT_TRUE(r) << r.error();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, "meter_replaced");
}

TEST(Replay, StrictNamesTheLineOfEveryProblem) {
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m9,1\n").error(),
              "r.csv:2: meter 'm9' is not in the config");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000060,m1,1\n1795000000,m1,1\n").error(),
              "r.csv:3: rows out of time order: 2026-11-18T11:06:40.000Z after "
              "2026-11-18T11:07:40.000Z");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m1,1x\n").error(),
              "r.csv:2: bad number '1x' in column 'p_w'");
    EXPECT_EQ(strict("ts,meter,p_w\nyesterday,m1,1\n").error(),
              "r.csv:2: bad time 'yesterday' (RFC 3339 or Unix seconds)");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m1\n").error(),
              "r.csv:2: 2 cells, the header has 3");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m1,1,2\n").error(),
              "r.csv:2: more cells than the header's 3 columns");
    EXPECT_EQ(run("ts,meter,power\n").error(),
              "r.csv:1: unknown column 'power' (expected ts, meter, serial or a quantity such as "
              "p_w)");
    EXPECT_EQ(run("meter,p_w\n").error(),
              "r.csv:1: the header must name the columns 'ts' and 'meter'");
    EXPECT_EQ(run("ts,meter,p_w,p_w\n").error(), "r.csv:1: column 'p_w' appears twice");
    EXPECT_EQ(run("").error(), "r.csv:0: empty file: no header row");
    EXPECT_EQ(strict("ts,meter,p_w\n,m1,1\n").error(),
              "r.csv:2: bad time '' (RFC 3339 or Unix seconds)");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m1,NaN\n").error(),
              "r.csv:2: not a finite number 'NaN' in column 'p_w'");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m1,1000000000\n").error(),
              "r.csv:2: value 1000000000 in column 'p_w' is outside its physical range "
              "-5e+08..5e+08");
    EXPECT_EQ(strict("ts,meter,p_w\n1795000000,m1,1\n1795000000,m1,1\n").error(),
              "r.csv:3: duplicate row: meter 'm1' already has a row at 2026-11-18T11:06:40.000Z");
}

TEST(Replay, StrictReplaysCleanDataAsBefore) {
    std::vector<Event> ev;
    auto r = run("ts,meter,p_w\n" + rows({"500000", "500000", "500000", "500000", "500000"}), &ev,
                 {.strict = true});
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 5u);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].type, "reenergized");
}

// A NaN power cell is no reading of power: the row still carries its register (standing still), and
// the sealed furnace stays quiet. The cells are counted per column, by reason.
TEST(Replay, NonFiniteCellsCountAsAbsent) {
    std::vector<Event> ev;
    auto r = run(
        "ts,meter,p_w,e_imp_kwh\n" + rows({"200,100.00", "NaN,100.00", "nan,100.00", "inf,100.00",
                                           "-Infinity,100.00", "200,100.00", "200,inf"}),
        &ev);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 7u);
    EXPECT_TRUE(ev.empty()) << wire::event_json(ev.front()).dump();
    const auto& p = ignored(*r, "p_w");
    EXPECT_EQ(p.count[static_cast<size_t>(detect::BadCell::not_finite)], 4u);
    EXPECT_EQ(p.first_line, 3u);
    EXPECT_EQ(ignored(*r, "e_imp_kwh").total(), 1u);
    EXPECT_FALSE(r->clean());
    auto lines = detect::describe_dirt(*r, "r.csv");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0],
              "r.csv:3: 4 cells of column 'p_w' ignored as absent (4 not finite (NaN, inf)); "
              "the first on this line");
    EXPECT_EQ(lines[1],
              "r.csv:8: 1 cell of column 'e_imp_kwh' ignored as absent (1 not finite (NaN, "
              "inf)); the first on this line");
}

// 1e9 W is no furnace: outside the physical range, absent. Five such rows in a row would
// otherwise be a reenergized alarm on the sealed asset.
TEST(Replay, ImpossibleValuesCountAsAbsent) {
    std::vector<Event> ev;
    auto r = run("ts,meter,p_w,pf\n" +
                     rows({"1e9,0.9", "1000000000,0.9", "-2e9,0.9", "1e999,0.9", "1000000000.5,7"}),
                 &ev);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 5u);
    EXPECT_TRUE(ev.empty()) << wire::event_json(ev.front()).dump();
    EXPECT_EQ(ignored(*r, "p_w").count[static_cast<size_t>(detect::BadCell::out_of_range)], 5u);
    EXPECT_EQ(ignored(*r, "pf").count[static_cast<size_t>(detect::BadCell::out_of_range)], 1u);
    EXPECT_EQ(detect::describe_dirt(*r, "r.csv")[0],
              "r.csv:2: 5 cells of column 'p_w' ignored as absent (5 outside -5e+08..5e+08); the "
              "first on this line");
}

TEST(Replay, GarbageCellsCountAsAbsent) {
    auto r = run("ts,meter,p_w,e_imp_kwh\n" + rows({"1x,5", "#N/A,5", "null,", "--,5", "200,5"}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 5u);
    EXPECT_EQ(ignored(*r, "p_w").count[static_cast<size_t>(detect::BadCell::not_a_number)], 4u);
    EXPECT_EQ(ignored(*r, "e_imp_kwh").total(), 0u);
}

// The contract's empty cell is "no value": nothing to report.
TEST(Replay, EmptyCellsAreNoValueNotDirt) {
    auto r = run("ts,meter,p_w,e_imp_kwh\n" + rows({",5", "200,", " ,5", ","}));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 4u);
    EXPECT_TRUE(r->clean());
    EXPECT_TRUE(detect::describe_dirt(*r, "r.csv").empty());
}

TEST(Replay, UnusableRowsAreSkippedAndCounted) {
    std::vector<Event> ev;
    std::string csv = "ts,meter,p_w\n";
    csv += "1795000000,m1,200\n";
    csv += "this line is not a row at all\n";  // bad time
    csv += "1795000060,m1\n";                  // short
    csv += "1795000120,m1,200,7\n";            // long
    csv += "1795000180,,200\n";                // no meter
    csv += "1795000240,m9,200\n";              // not in the config
    csv += "1795000300,m9,200\n";
    csv += "1795000360,m1,200\n";
    auto r = run(csv, &ev);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 2u);
    EXPECT_EQ(skipped(*r, detect::BadRow::bad_time).count, 1u);
    EXPECT_EQ(skipped(*r, detect::BadRow::cell_count).count, 2u);
    EXPECT_EQ(skipped(*r, detect::BadRow::no_meter).count, 1u);
    EXPECT_EQ(skipped(*r, detect::BadRow::unknown_meter).count, 2u);
    auto lines = detect::describe_dirt(*r, "r.csv");
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0],
              "r.csv:3: 1 row skipped, the first on this line: bad time 'this line is not a row "
              "at all' (RFC 3339 or Unix seconds)");
    EXPECT_EQ(lines[2],
              "r.csv:7: 2 rows skipped, the first on this line: meter 'm9' is not in the config");
    EXPECT_EQ(lines[3],
              "r.csv:4: 2 rows skipped, the first on this line: 2 cells, the header has 3");
}

// Exports repeat rows (a retried poll, two files concatenated): the detector must see each
// reading once, or a zero time step would stand for a reading.
TEST(Replay, DuplicateRowsAreDroppedAndCounted) {
    std::vector<Event> ev;
    std::string csv = "ts,meter,p_w,e_imp_kwh\n";
    for (int i = 0; i < 6; ++i) {
        std::string row =
            std::to_string(1795000000 + 60 * i) + ",m1,200," + std::to_string(100 + i) + "\n";
        csv += row;
        if (i % 2) csv += row;  // the same row twice
        if (i == 4) csv += std::to_string(1795000000 + 60 * i) + ",m1,210,104\n";
    }
    auto r = run(csv, &ev);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 6u);
    EXPECT_TRUE(ev.empty());
    EXPECT_EQ(skipped(*r, detect::BadRow::duplicate).count, 4u);
    EXPECT_EQ(skipped(*r, detect::BadRow::duplicate).first_line, 4u);
    EXPECT_EQ(detect::describe_dirt(*r, "r.csv")[0],
              "r.csv:4: 4 rows dropped, the first on this line: duplicate row: meter 'm1' "
              "already has a row at 2026-11-18T11:07:40.000Z");
}

// Timestamps jittered per meter put rows of one poll out of order; within kReorderWindowMs they
// are put back in order, further behind they are skipped (the detector's clock never goes back).
TEST(Replay, RowsAFewSecondsOutOfOrderAreReordered) {
    std::string csv = "ts,meter,p_w\n";
    csv += "1795000004,m1,200\n";
    csv += "1795000000,m2,200\n";  // 4 s behind: put before
    csv += "1795000063,m2,200\n";
    csv += "1795000058,m1,200\n";  // 5 s behind
    csv += "1795000300,m1,200\n";  // the rows up to 63 are replayed now
    csv += "1795000100,m2,200\n";  // behind, but after everything replayed: put in its place
    csv += "1795000030,m1,200\n";  // behind rows already replayed: too late
    auto r = run(csv);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->rows, 6u);
    EXPECT_EQ(skipped(*r, detect::BadRow::out_of_order).count, 1u);
    EXPECT_EQ(skipped(*r, detect::BadRow::out_of_order).first_line, 8u);
    EXPECT_EQ(strict(csv).error(),
              "r.csv:3: rows out of time order: 2026-11-18T11:06:40.000Z after "
              "2026-11-18T11:06:44.000Z");
}

}  // namespace

// A far jump in time (tests/fuzz/findings/analyze: four rows, one in the year 9026) made the
// balance step through every 15-minute window in between: 39 s for the finding. The windows in
// between are skipped now, and the balance judges again after the jump: a bypass that starts a
// century later is raised, from a window after the jump.
TEST(Replay, BalanceJudgesAgainAfterAFarJumpInTime) {
    auto plant = config::load(std::string(SEALWATCH_SOURCE_DIR) +
                              "/tests/scenarios/detect/bypass_submeter.toml");
    ASSERT_TRUE(plant);
    std::string csv = "ts,meter,p_w,e_imp_kwh\n";
    double kwh[3] = {1000, 10, 10};
    auto minutes = [&](int64_t start_s, int n, double main_w, double sub_w) {
        for (int i = 0; i < n; ++i) {
            const double w[3] = {main_w, sub_w, sub_w};
            for (int m = 0; m < 3; ++m) {
                kwh[m] += w[m] / 60 / 1000;
                csv += std::to_string(start_s + int64_t{60} * i) + ",m" + std::to_string(m) + "," +
                       std::to_string(w[m]) + "," + std::to_string(kwh[m]) + "\n";
            }
        }
    };
    const int64_t t0 = 1767225600;                   // 2026-01-01
    const int64_t later = t0 + int64_t{3155760000};  // 100 years on
    minutes(t0, 120, 200000, 100000);                // balanced: no alarm
    minutes(later, 120, 900000, 100000);             // 700 kW the sub-meters do not see
    detect::Detector detector(*plant);
    std::vector<Event> ev;
    auto r = detect::replay_csv_text(csv, "jump.csv", detector,
                                     [&](const Event& e) { ev.push_back(e); }, {});
    ASSERT_TRUE(r) << r.error();
    auto raised = std::find_if(ev.begin(), ev.end(), [](const Event& e) {
        return e.type == "unmetered_load" && e.state == EventState::raised;
    });
    ASSERT_NE(raised, ev.end());
    EXPECT_GE(raised->started, later * 1000);
    EXPECT_LT(raised->started, (later + 3600) * 1000);
}

TEST(Replay, FuzzFindingsReplayCleanly) {
    auto plant = config::load(std::string(SEALWATCH_SOURCE_DIR) +
                              "/tests/scenarios/detect/bypass_submeter.toml");
    ASSERT_TRUE(plant);
    const std::filesystem::path findings =
        std::filesystem::path(SEALWATCH_SOURCE_DIR) / "tests/fuzz/findings/analyze";
    int replayed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(findings)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream bytes;
        bytes << in.rdbuf();
        const std::string input = bytes.str();
        if (input.empty()) continue;
        detect::ReplayOptions options;  // as fuzz_analyze reads its input
        options.strict = (static_cast<unsigned char>(input[0]) & 1) != 0;
        detect::Detector detector(*plant);
        auto r = detect::replay_csv_text(
            std::string_view(input).substr(1), "finding.csv", detector, [](const Event&) {},
            options);
        if (r) (void)detect::describe_dirt(*r, "finding.csv");
        ++replayed;
    }
    EXPECT_GE(replayed, 2) << "the findings folder moved?";
}
