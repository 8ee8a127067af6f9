// The scenario library (tests/scenarios/detect): every NAME.csv goes through the analyze code
// path (replay_csv + Detector) with NAME.toml, and must give exactly the events labelled in
// NAME.expect.json — no more (precision), no fewer (recall), each within its latency bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/event.hpp"
#include "detect/replay.hpp"

using namespace sealwatch;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(SEALWATCH_SOURCE_DIR) / "tests" / "scenarios" / "detect";

std::vector<std::string> scenario_names() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(kDir))
        if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string key(const std::string& type, const std::string& state, const std::string& severity,
                const std::string& asset, const std::string& meter) {
    return type + "/" + state + "/" + severity + "/" + asset + "/" + meter;
}

class Scenario : public testing::TestWithParam<std::string> {};

TEST_P(Scenario, EmitsExactlyTheLabelledEvents) {
    const std::string name = GetParam();
    auto cfg = config::load((kDir / (name + ".toml")).string());
    ASSERT_TRUE(cfg) << cfg.error().front();
    std::ifstream in(kDir / (name + ".expect.json"));
    ASSERT_TRUE(in) << "missing " << name << ".expect.json";
    auto expect = nlohmann::json::parse(in);

    detect::Detector det(*cfg, detect::TimeZone::load(cfg->gateway.timezone));
    std::vector<Event> got;
    auto r = detect::replay_csv((kDir / (name + ".csv")).string(), det,
                                [&](const Event& e) { got.push_back(e); });
    ASSERT_TRUE(r) << r.error();

    // Data-time order, one id per alarm, cleared only what was raised.
    std::map<std::string, std::string> open;  // id -> type
    std::set<std::string> ids;
    for (size_t i = 0; i < got.size(); ++i) {
        const auto& e = got[i];
        if (i) {
            EXPECT_GE(e.ts, got[i - 1].ts) << "event " << i << " out of data-time order";
        }
        if (e.state == EventState::raised) {
            EXPECT_TRUE(ids.insert(e.id).second) << "id raised twice: " << e.id;
            open[e.id] = e.type;
        } else if (e.state == EventState::cleared) {
            ASSERT_TRUE(open.count(e.id)) << "cleared an id never raised: " << e.id;
            EXPECT_EQ(open[e.id], e.type);
            open.erase(e.id);
        } else {
            EXPECT_TRUE(ids.insert(e.id).second) << "id reused: " << e.id;
        }
    }

    std::multiset<std::string> want, have;
    for (const auto& x : expect["events"])
        want.insert(key(x["type"], x["state"], x["severity"], x["asset"], x["meter"]));
    for (const auto& e : got)
        have.insert(key(e.type, std::string(to_string(e.state)), std::string(to_string(e.severity)),
                        e.asset, e.meter));
    std::string emitted;
    for (const auto& e : got) emitted += "\n  " + detect::to_json(e).dump();
    EXPECT_EQ(want, have) << name << " emitted:" << emitted;

    // Latency: from the labelled onset to the event's data time.
    std::vector<bool> used(got.size(), false);
    std::string report;
    for (const auto& x : expect["events"]) {
        if (!x.contains("onset")) continue;
        auto onset = parse_time(x["onset"].get<std::string>());
        ASSERT_TRUE(onset);
        for (size_t i = 0; i < got.size(); ++i) {
            const auto& e = got[i];
            if (used[i] || e.type != x["type"] || to_string(e.state) != x["state"] ||
                e.asset != x["asset"] || e.meter != x["meter"])
                continue;
            used[i] = true;
            auto latency_s = (e.ts - *onset) / 1000;
            EXPECT_LE(latency_s, x["max_latency_s"].get<int64_t>()) << name << " " << e.type;
            report += " " + e.type + "=" + std::to_string(latency_s) + "s";
            break;
        }
    }
    std::cout << "[scenario] " << name << ": expected " << want.size() << ", emitted "
              << have.size() << "; latency" << (report.empty() ? " -" : report) << "\n";
}

INSTANTIATE_TEST_SUITE_P(Library, Scenario, testing::ValuesIn(scenario_names()),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
