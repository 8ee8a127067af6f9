#pragma once
// The detection scenario library's files (tests/scenarios/detect, written by generate.py): the
// scenarios' names, each one's labelled truth (NAME.expect.json), and the config a user who
// writes no [detect] keys runs. Shared by the library's tests (scenario_library.hpp) and the
// quality bench (tests/bench/detect_quality.cpp); no test framework here.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace sealwatch::scenario_library {

inline const std::filesystem::path& dir() {
    static const std::filesystem::path d =
        std::filesystem::path(SEALWATCH_SOURCE_DIR) / "tests" / "scenarios" / "detect";
    return d;
}

inline nlohmann::json expectation(const std::string& name) {
    std::ifstream in(dir() / (name + ".expect.json"));
    if (!in) return nlohmann::json::object();
    return nlohmann::json::parse(in);
}

// A scenario whose expect.json says `awaits`: labelled truth the detector does not meet yet
// (issue 10). Left out of the CI run, run by the `defaults` test.
inline bool awaits_the_detector(const std::string& name) {
    return expectation(name).contains("awaits");
}

enum class Which { all, met_today };

inline std::vector<std::string> names(Which which) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir())) {
        if (entry.path().extension() != ".toml") continue;
        auto name = entry.path().stem().string();
        if (which == Which::met_today && awaits_the_detector(name)) continue;
        out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// An event as the labels name it: type/state/severity/asset/meter.
inline std::string key(const std::string& type, const std::string& state,
                       const std::string& severity, const std::string& asset,
                       const std::string& meter) {
    return type + "/" + state + "/" + severity + "/" + asset + "/" + meter;
}

// What a config holding only contract keys leaves: no [detect] keys, no detection overrides on
// an asset (standby_w and export_allowed say what the asset is, not how to detect: they stay).
inline void contract_only(config::Config& cfg) {
    cfg.detect = config::Detect{};
    for (auto& a : cfg.assets) {
        a.production_w.reset();
        a.heat_w.reset();
        a.min_on_s.reset();
        a.min_off_s.reset();
    }
}

}  // namespace sealwatch::scenario_library
