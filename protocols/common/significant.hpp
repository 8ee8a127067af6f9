#pragma once
// A computed value cut back to the digits it can carry: binary noise of a product (230.1 × 100
// is 23010.000000000004 in doubles) is not a digit the meter measured, and would otherwise reach
// telemetry, exports and evidence.
#include <charconv>

namespace sealwatch {

// The double nearest to `v` written with `digits` significant digits (15: every double holds
// that many decimal digits exactly). Non-finite values come back unchanged.
inline double round_significant(double v, int digits) {
    char buf[40];
    auto w = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
    double out = v;
    std::from_chars(buf, w.ptr, out);
    return out;
}

}  // namespace sealwatch
