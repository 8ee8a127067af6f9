#pragma once
// Every rule the detector runs, in the order it runs them on each reading (so the events of
// one reading come out in that order).
#include <memory>
#include <vector>

#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

std::vector<std::unique_ptr<Rule>> make_rules(Site& site);

}  // namespace sealwatch::detect
