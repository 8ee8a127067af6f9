#include <gtest/gtest.h>

#include "common/clock.hpp"

using namespace sealwatch;

TEST(Clock, FormatsRfc3339Utc) {
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_rfc3339(1795298400123), "2026-11-21T22:00:00.123Z");
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
