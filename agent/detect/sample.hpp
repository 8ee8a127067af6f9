#pragma once
// One meter's reading in the detector's fast form: a value per quantity, NaN = absent. What
// `sealwatch analyze` fills from a CSV row and what every rule reads.
#include <array>
#include <cmath>
#include <string_view>

#include "common/quantities.hpp"

namespace sealwatch::detect {

struct Sample {
    std::array<double, kQuantities.size()> v;
    std::string_view serial;  // empty = not read this time

    Sample() { clear(); }
    void clear() {
        v.fill(std::nan(""));
        serial = {};
    }
};

}  // namespace sealwatch::detect
