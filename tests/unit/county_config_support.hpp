#pragma once
// What the county config tests share: the problems a text gets, and them as one string for a
// failure message.
#include <string>

#include "county/config.hpp"

namespace sealwatch::test_support {

inline county::Problems problems_of(const std::string& text) {
    auto r = county::parse(text, "c.toml");
    if (r) return {};
    return r.error();
}

inline std::string joined(const county::Problems& ps) {
    std::string all;
    for (const auto& p : ps) all += p + "\n";
    return all;
}

}  // namespace sealwatch::test_support
