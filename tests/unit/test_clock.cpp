#include <gtest/gtest.h>

#include "common/clock.hpp"

using namespace sealwatch;

TEST(Clock, FormatsRfc3339Utc) {
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_rfc3339(1795298400123), "2026-11-21T22:00:00.123Z");
}

TEST(Clock, FormatsLocalTimeWithItsOffset) {
    // 22:00:00.123 UTC is 06:00 the next morning in Beijing; fractions are cut, not rounded.
    EXPECT_EQ(format_local(1795298400123, 8 * 3600), "2026-11-22 06:00:00 +08:00");
    EXPECT_EQ(format_local(1795298400999, 0), "2026-11-21 22:00:00 +00:00");
    EXPECT_EQ(format_local(1795298400000, -(3 * 3600 + 30 * 60)), "2026-11-21 18:30:00 -03:30");
    EXPECT_EQ(format_local(0, -3600), "1969-12-31 23:00:00 -01:00");
}

TEST(Clock, ParsesRfc3339AndUnixSeconds) {
    EXPECT_EQ(parse_time("2026-11-21T22:00:00Z"), 1795298400000);
    EXPECT_EQ(parse_time("2026-11-22T06:00:00+08:00"), 1795298400000);
    EXPECT_EQ(parse_time("2026-11-21T22:00:00.5Z"), 1795298400500);
    EXPECT_EQ(parse_time("1795298400"), 1795298400000);
    EXPECT_FALSE(parse_time("2026-13-21T22:00:00Z"));
    EXPECT_FALSE(parse_time("2026-11-21 22:00"));
    EXPECT_FALSE(parse_time("yesterday"));
    EXPECT_FALSE(parse_time(""));
}

// Issue 15: hostile times found by mutation; each was accepted or overflowed before.
TEST(Clock, RefusesTimesThatCannotExist) {
    EXPECT_FALSE(parse_time("99999999999999999999"));  // 20 digits: overflowed an int64 (UBSan)
    EXPECT_FALSE(parse_time("1e300"));
    EXPECT_FALSE(parse_time("-99999999999999999999"));
    EXPECT_FALSE(parse_time("2026-02-30T00:00:00Z"));  // was 2 March
    EXPECT_FALSE(parse_time("2026-04-31T00:00:00Z"));
    EXPECT_FALSE(parse_time("2026-02-29T00:00:00Z"));  // 2026 is no leap year
    EXPECT_TRUE(parse_time("2028-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_time("1900-02-29T00:00:00Z"));  // divisible by 100, not by 400
    EXPECT_TRUE(parse_time("2000-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_time("2026-11-21T22:00:00+25:00"));
    EXPECT_FALSE(parse_time("2026-11-21T22:00:00+08:60"));
    EXPECT_EQ(parse_time("2026-11-21T22:00:00-23:59"), 1795298400000 + (23 * 60 + 59) * 60000LL);
    EXPECT_EQ(parse_time("253402300799"), 253402300799000);
    EXPECT_FALSE(parse_time("253402300800"));
}
