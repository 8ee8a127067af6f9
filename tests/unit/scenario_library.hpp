#pragma once
// The detection scenario library (tests/scenarios/detect, written by generate.py): every
// NAME.csv goes through the analyze code path (replay_csv + Detector) with NAME.toml, and must
// give exactly the events labelled in NAME.expect.json — no more (precision), no fewer
// (recall), each within its latency bound, with the labelled details — and the CSV reader must
// report the dirt labelled there (cells ignored, rows skipped).
//
// Shared by test_detect_scenarios.cpp (the library as configured, in CI) and
// tests/defaults/test_scenarios_on_defaults.cpp (the library on a contract-only config).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/replay.hpp"
#include "scenario_files.hpp"
#include "wire/event.hpp"

namespace sealwatch::scenario_library {

inline void report_line(const std::string& name, size_t expected, size_t emitted,
                        const std::string& latency) {
    std::cout << "[scenario] " << name << ": expected " << expected << ", emitted " << emitted
              << "; latency" << (latency.empty() ? " -" : latency) << "\n";
}

// Runs scenario `name` with its config as `adjust` leaves it, and checks everything labelled.
inline void run_and_check(const std::string& name,
                          const std::function<void(config::Config&)>& adjust = {}) {
    auto cfg = config::load((dir() / (name + ".toml")).string());
    ASSERT_TRUE(cfg) << cfg.error().front();
    if (adjust) adjust(*cfg);
    const auto expect = expectation(name);
    ASSERT_TRUE(expect.contains("events")) << "missing or empty " << name << ".expect.json";

    detect::Detector det(*cfg, detect::TimeZone::load(cfg->gateway.timezone));
    std::vector<Event> got;
    auto r = detect::replay_csv((dir() / (name + ".csv")).string(), det,
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
    for (const auto& e : got) emitted += "\n  " + wire::event_json(e).dump();
    EXPECT_EQ(want, have) << name << " emitted:" << emitted;

    // Latency from the labelled onset to the event's data time; labelled details.
    std::vector<bool> used(got.size(), false);
    std::string report;
    for (const auto& x : expect["events"]) {
        if (!x.contains("onset") && !x.contains("details")) continue;
        for (size_t i = 0; i < got.size(); ++i) {
            const auto& e = got[i];
            if (used[i] || e.type != x["type"] || to_string(e.state) != x["state"] ||
                e.asset != x["asset"] || e.meter != x["meter"])
                continue;
            used[i] = true;
            if (x.contains("onset")) {
                auto onset = parse_time(x["onset"].get<std::string>());
                ASSERT_TRUE(onset);
                auto latency_s = (e.ts - *onset) / 1000;
                EXPECT_LE(latency_s, x["max_latency_s"].get<int64_t>()) << name << " " << e.type;
                report += " " + e.type + "=" + std::to_string(latency_s) + "s";
            }
            if (x.contains("details")) {
                for (const auto& [k, v] : x["details"].items()) {
                    EXPECT_EQ(e.details.value(k, nlohmann::json()), v)
                        << name << " " << e.type << " details." << k;
                }
            }
            break;
        }
    }

    // The dirt the CSV reader must have reported, where labelled (exactly: none of a kind not
    // named).
    if (!expect.contains("replay")) return report_line(name, want.size(), have.size(), report);
    const auto& dirt = expect["replay"];
    const auto cells = dirt.value("ignored_cells", nlohmann::json::object());
    for (size_t q = 0; q < kQuantities.size(); ++q)
        EXPECT_EQ(r->ignored_cells[q].total(),
                  cells.value(std::string(kQuantities[q]), uint64_t{0}))
            << name << ": ignored cells of " << kQuantities[q];
    const auto rows = dirt.value("skipped_rows", nlohmann::json::object());
    static const char* const kRowKinds[detect::kBadRowKinds] = {
        "bad_time", "no_meter", "unknown_meter", "cell_count", "out_of_order", "duplicate"};
    for (size_t k = 0; k < detect::kBadRowKinds; ++k)
        EXPECT_EQ(r->skipped_rows[k].count, rows.value(kRowKinds[k], uint64_t{0}))
            << name << ": rows skipped as " << kRowKinds[k];

    report_line(name, want.size(), have.size(), report);
}

}  // namespace sealwatch::scenario_library
