// Issue 10's acceptance: the WHOLE scenario library (tests/scenarios/detect, including the
// scenarios labelled `awaits`) passes with a contract-only config — the [detect] table and the
// per-asset detection overrides reset to their defaults, as a user who writes none gets them.
// Registered in tests/CMakeLists.txt as the ctest `scenarios.on_defaults`, label `defaults`.
#include <gtest/gtest.h>

#include "scenario_library.hpp"

using namespace sealwatch;

namespace {

class ScenarioOnDefaults : public testing::TestWithParam<std::string> {};

TEST_P(ScenarioOnDefaults, EmitsExactlyTheLabelledEvents) {
    scenario_library::run_and_check(GetParam(), scenario_library::contract_only);
}

INSTANTIATE_TEST_SUITE_P(Library, ScenarioOnDefaults,
                         testing::ValuesIn(scenario_library::names(scenario_library::Which::all)),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
