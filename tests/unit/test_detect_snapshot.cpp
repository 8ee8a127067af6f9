// snapshot()/restore() and open_alarms() over the scenario library: a detector stopped at any point
// of a scenario — inside a heat, inside a balance window — and restored from its snapshot into a
// fresh one goes on to emit exactly the events the uninterrupted one emits, and its own snapshot
// is the one it was restored from. The snapshots
// themselves are compared with tests/golden/snapshots/ (format "sealwatch-detector/1": a
// gateway restarted after an upgrade restores the snapshot the old version wrote);
// SEALWATCH_GOLDEN_UPDATE=1 rewrites them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/replay.hpp"
#include "wire/event.hpp"

using namespace sealwatch;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = fs::path(SEALWATCH_SOURCE_DIR);
const fs::path kScenarios = kSource / "tests" / "scenarios" / "detect";
const fs::path kGolden = kSource / "tests" / "golden" / "snapshots";
constexpr int kCuts = 4;  // restarts at 1/5, 2/5, 3/5, 4/5 of the rows

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The scenarios captured in the snapshot goldens (scenarios added later have none yet).
std::vector<std::string> scenario_names() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(kScenarios))
        if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

struct Csv {
    std::string header;
    std::vector<std::string> rows;
    std::string text(size_t from, size_t to) const {
        std::string t = header + "\n";
        for (size_t i = from; i < to; ++i) t += rows[i] + "\n";
        return t;
    }
};

Csv split(const std::string& text) {
    Csv csv;
    std::istringstream in(text);
    std::getline(in, csv.header);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) csv.rows.push_back(line);
    return csv;
}

// Rows [from, to) through the detector; the events as their JSON lines.
void feed(detect::Detector& det, const Csv& csv, size_t from, size_t to, std::string& events) {
    auto r = detect::replay_csv_text(csv.text(from, to), "scenario.csv", det, [&](const Event& e) {
        events += wire::event_json(e).dump();
        events += '\n';
    });
    ASSERT_TRUE(r) << r.error();
}

// "" when equal, else the first line that differs in each.
std::string first_difference(const std::string& got, const std::string& want) {
    std::istringstream g(got), w(want);
    std::string gl, wl;
    for (int line = 1;; ++line) {
        bool more_g = static_cast<bool>(std::getline(g, gl));
        bool more_w = static_cast<bool>(std::getline(w, wl));
        if (!more_g && !more_w) return "";
        if (!more_g) gl = "<end>";
        if (!more_w) wl = "<end>";
        if (gl != wl) {
            std::string diff = "event " + std::to_string(line);
            diff += "\n  restored:      " + gl;
            diff += "\n  uninterrupted: " + wl;
            return diff;
        }
    }
}

class SnapshotRoundTrip : public testing::TestWithParam<std::string> {};

TEST_P(SnapshotRoundTrip, RestoredDetectorContinuesIdentically) {
    const std::string name = GetParam();
    const std::string toml = read_file(kScenarios / (name + ".toml"));
    const Csv csv = split(read_file(kScenarios / (name + ".csv")));
    const size_t n = csv.rows.size();
    ASSERT_GT(n, 10u);

    std::string golden;  // the snapshots at the cuts, config as written
    for (const char* state : {"", "operating", "shut", "sealed", "dismantled"}) {
        SCOPED_TRACE(std::string("every asset ") + (*state ? state : "as written"));
        std::string text = *state ? std::regex_replace(toml, std::regex(R"(\nstate = "[a-z]+")"),
                                                       std::string("\nstate = \"") + state + "\"")
                                  : toml;
        auto cfg = config::parse(text, name + ".toml");
        ASSERT_TRUE(cfg) << cfg.error().front();
        auto tz = detect::TimeZone::load(cfg->gateway.timezone);

        std::string whole;
        {
            detect::Detector det(*cfg, tz);
            feed(det, csv, 0, n, whole);
            // An open alarm is listed with the severity it was raised with (one table).
            for (const auto& open : det.open_alarms()) {
                auto at = whole.find("{\"id\":\"" + open.id + "\"");
                ASSERT_NE(at, std::string::npos) << open.id;
                auto raised = nlohmann::json::parse(whole.substr(at, whole.find('\n', at) - at));
                EXPECT_EQ(raised["severity"], sealwatch::to_string(open.severity)) << open.id;
            }
        }
        for (int c = 1; c <= kCuts; ++c) {
            const size_t cut = n * static_cast<size_t>(c) / (kCuts + 1);
            SCOPED_TRACE("restart after row " + std::to_string(cut));
            std::string events;
            nlohmann::json snap;
            {
                detect::Detector before(*cfg, tz);
                feed(before, csv, 0, cut, events);
                snap = before.snapshot();
            }
            const std::string stored = snap.dump();  // as written to disk and read back
            detect::Detector after(*cfg, tz);
            ASSERT_TRUE(after.restore(nlohmann::json::parse(stored)));
            EXPECT_EQ(after.snapshot().dump(), stored);
            feed(after, csv, cut, n, events);
            EXPECT_EQ(first_difference(events, whole), "");
            if (!*state) golden += stored + "\n";
        }
    }
    const fs::path path = kGolden / (name + ".jsonl");
    const char* update = std::getenv("SEALWATCH_GOLDEN_UPDATE");
    if (update && std::string(update) == "1") {
        fs::create_directories(kGolden);
        std::ofstream(path, std::ios::binary) << golden;
    } else if (fs::exists(path)) {
        EXPECT_EQ(golden, read_file(path)) << "snapshots differ from " << path;
    }
}

// The parts a restart inside a heat or a balance window needs are in the snapshot: cut where one
// is open, restored, the detector raises what the uninterrupted one raises. Snapshots written
// before those parts existed (no "current" heat, no "window") still restore.
struct OpenPart {
    const char* scenario;
    const char* at;  // the cut: before the first row at this time, inside the part
    const char* part;
};

class SnapshotInsideAPart : public testing::TestWithParam<OpenPart> {};

TEST_P(SnapshotInsideAPart, CarriesItAcrossARestart) {
    const auto& p = GetParam();
    auto cfg = config::load((kScenarios / (std::string(p.scenario) + ".toml")).string());
    ASSERT_TRUE(cfg) << cfg.error().front();
    auto tz = detect::TimeZone::load(cfg->gateway.timezone);
    const Csv csv = split(read_file(kScenarios / (std::string(p.scenario) + ".csv")));
    size_t cut = 0;
    while (cut < csv.rows.size() && csv.rows[cut].rfind(p.at, 0) != 0) ++cut;
    ASSERT_LT(cut, csv.rows.size()) << p.at;

    std::string whole, events;
    {
        detect::Detector det(*cfg, tz);
        feed(det, csv, 0, csv.rows.size(), whole);
    }
    ASSERT_FALSE(whole.empty());
    nlohmann::json snap;
    {
        detect::Detector before(*cfg, tz);
        feed(before, csv, 0, cut, events);
        snap = before.snapshot();
    }
    ASSERT_NE(snap.dump().find(p.part), std::string::npos) << "no " << p.part << " at the cut";
    detect::Detector after(*cfg, tz);
    ASSERT_TRUE(after.restore(snap));
    feed(after, csv, cut, csv.rows.size(), events);
    EXPECT_EQ(first_difference(events, whole), "");

    // As an older version wrote it: without the part. Restores; the part starts again.
    for (auto& [id, a] : snap["assets"].items())
        if (a.contains("heats")) a["heats"].erase("current");
    for (auto& [key, b] : snap["balances"].items()) b.erase("window");
    detect::Detector older(*cfg, tz);
    EXPECT_TRUE(older.restore(snap));
}

INSTANTIATE_TEST_SUITE_P(
    Parts, SnapshotInsideAPart,
    testing::Values(
        // The second heat, 20 minutes in: the signature raises at its end.
        OpenPart{"night_heats_sealed", "2026-11-20T15:30:00Z", "\"current\""},
        // Half-way through the first bad window of the bypass: raised after the next.
        OpenPart{"bypass_submeter", "2026-11-20T14:07:00Z", "\"window\""}),
    [](const testing::TestParamInfo<OpenPart>& p) { return std::string(p.param.scenario); });

INSTANTIATE_TEST_SUITE_P(Library, SnapshotRoundTrip, testing::ValuesIn(scenario_names()),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
