#include "common/clock.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace sealwatch {

WallMs wall_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

MonoNs mono_now_ns() {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

namespace {

class SystemClock final : public Clock {
  public:
    WallMs wall_ms() const override { return wall_now_ms(); }
    MonoNs mono_ns() const override { return mono_now_ns(); }
};

}  // namespace

const Clock& system_clock() {
    static const SystemClock clock;
    return clock;
}

std::string format_rfc3339(WallMs t) {
    int64_t secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
    int ms = static_cast<int>(t - secs * 1000);
    auto tt = static_cast<time_t>(secs);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return buf;
}

std::string format_local(WallMs t, int offset_s) {
    const WallMs local = t + int64_t{offset_s} * 1000;
    const auto tt = static_cast<time_t>(local >= 0 ? local / 1000 : (local - 999) / 1000);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    const int off_min = (offset_s < 0 ? -offset_s : offset_s) / 60;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d %c%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  offset_s < 0 ? '-' : '+', off_min / 60, off_min % 60);
    return buf;
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    auto r = std::from_chars(s.data() + pos, s.data() + pos + n, out);
    return r.ec == std::errc() && r.ptr == s.data() + pos + n;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap_year(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// Unix seconds accepted as a time: the years 0000 to 9999, the range RFC 3339 can write. Beyond
// it a double times 1000 no longer fits an int64 (a 20-digit input overflowed before).
constexpr double kMinUnixSeconds = -62167219200.0;  // 0000-01-01T00:00:00Z
constexpr double kMaxUnixSeconds = 253402300799.0;  // 9999-12-31T23:59:59Z

}  // namespace

std::optional<WallMs> parse_time(std::string_view text) {
    if (text.empty()) return std::nullopt;
    // Unix seconds (optionally with a fraction).
    if (text.find_first_not_of("0123456789.-") == std::string_view::npos) {
        double v = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), v);
        if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
        if (!(v >= kMinUnixSeconds && v <= kMaxUnixSeconds)) return std::nullopt;
        return static_cast<WallMs>(std::llround(v * 1000.0));
    }
    int Y, M, D, h, m, sec;
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':')
        return std::nullopt;
    if (!digits(text, 0, 4, Y) || !digits(text, 5, 2, M) || !digits(text, 8, 2, D) ||
        !digits(text, 11, 2, h) || !digits(text, 14, 2, m) || !digits(text, 17, 2, sec))
        return std::nullopt;
    // A date that does not exist (2026-02-30) is refused, not rolled over into the next month.
    if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 || sec > 60)
        return std::nullopt;
    size_t pos = 19;
    int64_t ms = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int64_t scale = 100;
        size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            ms += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    int64_t offset_min = 0;
    if (pos >= text.size()) return std::nullopt;
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        int oh, om;
        if (pos + 6 != text.size() || text[pos + 3] != ':' || !digits(text, pos + 1, 2, oh) ||
            !digits(text, pos + 4, 2, om) || oh > 23 || om > 59)  // RFC 3339 time-numoffset
            return std::nullopt;
        offset_min = (int64_t{oh} * 60 + om) * (text[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
    int64_t days = days_from_civil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D));
    int64_t secs = days * 86400 + int64_t{h} * 3600 + int64_t{m} * 60 + sec - offset_min * 60;
    return secs * 1000 + ms;
}

}  // namespace sealwatch
