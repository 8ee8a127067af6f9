// Detection quality on the scenario library (tests/scenarios/detect) with a contract-only
// config — no [detect] keys, as a user who writes none runs it: per polling interval (1 s,
// 1 min), how many labelled conditions are found (recall), how many events nobody labelled
// come out (false alarms), and the delay from each labelled onset to its event. The figures
// of docs/detection.md. A program that prints figures, not a test: the pass/fail check of
// the same library is tests/defaults (ctest scenarios.on_defaults).
//
//   cmake --build --preset dev --target detect_quality
//   build/dev/bin/detect_quality              # the table
//   build/dev/bin/detect_quality --scenarios  # and one row per scenario
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/replay.hpp"
#include "scenario_files.hpp"

using namespace sealwatch;

namespace {

// A condition: the event that says it began (raised, or a finding's info). Cleared events close
// what was raised; they are not counted apart.
bool condition(const std::string& state) {
    return state != "cleared";
}

struct Tally {
    int scenarios = 0, negatives = 0;
    int labelled = 0, found = 0, false_alarms = 0, over_bound = 0;
    std::vector<double> delays_s;
    std::map<std::string, std::vector<double>> delays_by_type;
};

struct Outcome {
    int labelled = 0, found = 0, false_alarms = 0, over_bound = 0;
    std::vector<double> delays_s;
    std::vector<std::string> delay_types;  // the type of each delay
    std::string missed, unlabelled;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string polling(WallMs interval_ms) {
    char buf[32];
    if (interval_ms < 60'000)
        std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(interval_ms) / 1000);
    else
        std::snprintf(buf, sizeof buf, "%g min", static_cast<double>(interval_ms) / 60'000);
    return buf;
}

std::string seconds(double s) {
    char buf[32];
    if (s < 120)
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    else
        std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
    return buf;
}

// Runs one scenario on defaults and matches its events with the labels: each labelled event
// takes the first emitted one of the same type, state, severity, asset and meter.
Outcome run(const std::string& name, const config::Config& cfg) {
    Outcome o;
    detect::Detector det(cfg, detect::TimeZone::load(cfg.gateway.timezone));
    std::vector<Event> got;
    auto r = detect::replay_csv((scenario_library::dir() / (name + ".csv")).string(), det,
                                [&](const Event& e) { got.push_back(e); });
    if (!r) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), r.error().c_str());
        std::exit(2);
    }
    std::vector<bool> used(got.size(), false);
    const auto expect = scenario_library::expectation(name);
    for (const auto& x : expect["events"]) {
        const std::string want =
            scenario_library::key(x["type"], x["state"], x["severity"], x["asset"], x["meter"]);
        bool counted = condition(x["state"]);
        if (counted) ++o.labelled;
        size_t i = 0;
        for (; i < got.size(); ++i) {
            const auto& e = got[i];
            if (!used[i] &&
                scenario_library::key(e.type, std::string(to_string(e.state)),
                                      std::string(to_string(e.severity)), e.asset, e.meter) == want)
                break;
        }
        if (i == got.size()) {
            if (counted) o.missed += " " + std::string(x["type"]);
            continue;
        }
        used[i] = true;
        if (!counted) continue;
        ++o.found;
        if (!x.contains("onset")) continue;
        auto onset = parse_time(x["onset"].get<std::string>());
        double delay = static_cast<double>(got[i].ts - onset.value_or(got[i].ts)) / 1000;
        o.delays_s.push_back(delay);
        o.delay_types.push_back(x["type"]);
        if (delay > x["max_latency_s"].get<double>()) ++o.over_bound;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        if (used[i] || !condition(std::string(to_string(got[i].state)))) continue;
        ++o.false_alarms;
        o.unlabelled += " " + got[i].type;
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const bool per_scenario = argc > 1 && std::string(argv[1]) == "--scenarios";
    std::map<WallMs, Tally> by_interval;
    if (per_scenario) {
        std::printf(
            "| scenario | polling | labelled | found | false alarms | delays | missed | "
            "unlabelled |\n|---|---|---|---|---|---|---|---|\n");
    }
    for (const auto& name : scenario_library::names(scenario_library::Which::all)) {
        auto cfg = config::load((scenario_library::dir() / (name + ".toml")).string());
        if (!cfg) {
            std::fprintf(stderr, "%s: %s\n", name.c_str(), cfg.error().front().c_str());
            return 2;
        }
        scenario_library::contract_only(*cfg);
        WallMs interval = 0;
        for (const auto& m : cfg->meters) interval = std::max<WallMs>(interval, m.interval_ms);
        Outcome o = run(name, *cfg);
        auto& t = by_interval[interval];
        ++t.scenarios;
        if (o.labelled == 0) ++t.negatives;
        t.labelled += o.labelled;
        t.found += o.found;
        t.false_alarms += o.false_alarms;
        t.over_bound += o.over_bound;
        t.delays_s.insert(t.delays_s.end(), o.delays_s.begin(), o.delays_s.end());
        for (size_t i = 0; i < o.delays_s.size(); ++i)
            t.delays_by_type[o.delay_types[i]].push_back(o.delays_s[i]);
        if (per_scenario) {
            std::string delays;
            for (double d : o.delays_s) delays += (delays.empty() ? "" : ", ") + seconds(d);
            std::printf("| %s | %s | %d | %d | %d | %s | %s | %s |\n", name.c_str(),
                        polling(interval).c_str(), o.labelled, o.found, o.false_alarms,
                        delays.c_str(), o.missed.c_str(), o.unlabelled.c_str());
        }
    }
    if (per_scenario) std::printf("\n");
    std::printf(
        "| polling | scenarios (no event labelled) | labelled conditions | found | recall | "
        "false alarms | median delay | max delay | over the labelled bound |\n"
        "|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [interval, t] : by_interval) {
        double max_delay =
            t.delays_s.empty() ? 0 : *std::max_element(t.delays_s.begin(), t.delays_s.end());
        std::printf("| %s | %d (%d) | %d | %d | %.0f %% | %d | %s | %s | %d |\n",
                    polling(interval).c_str(), t.scenarios, t.negatives, t.labelled, t.found,
                    t.labelled ? 100.0 * t.found / t.labelled : 100.0, t.false_alarms,
                    seconds(median(t.delays_s)).c_str(), seconds(max_delay).c_str(), t.over_bound);
    }
    std::printf(
        "\n| polling | event | conditions timed | median delay | max delay |\n"
        "|---|---|---|---|---|\n");
    for (const auto& [interval, t] : by_interval)
        for (const auto& [type, d] : t.delays_by_type)
            std::printf("| %s | %s | %zu | %s | %s |\n", polling(interval).c_str(), type.c_str(),
                        d.size(), seconds(median(d)).c_str(),
                        seconds(*std::max_element(d.begin(), d.end())).c_str());
    return 0;
}
