#include "dlt645/meter_time.hpp"

#include <algorithm>
#include <ctime>

#include "dlt645/bcd.hpp"

namespace sealwatch::dlt645 {

namespace {

// Low byte first: seconds, minutes, hours, day, month, year.
enum Byte : uint8_t { kSecond, kMinute, kHour, kDay, kMonth, kYear };

std::optional<int> two_digits(std::span<const uint8_t> value, Byte at) {
    auto n = decode_bcd(value.subspan(at, 1), false);
    if (!n) return std::nullopt;
    return static_cast<int>(*n);
}

uint8_t bcd_byte(int n) {
    return static_cast<uint8_t>(((n / 10) << 4) | (n % 10));
}

}  // namespace

std::optional<MeterTime> decode_meter_time(std::span<const uint8_t> value) {
    if (value.size() < kMeterTimeBytes) return std::nullopt;
    const auto s = two_digits(value, kSecond), mi = two_digits(value, kMinute),
               h = two_digits(value, kHour), d = two_digits(value, kDay),
               mo = two_digits(value, kMonth), y = two_digits(value, kYear);
    if (!s || !mi || !h || !d || !mo || !y) return std::nullopt;
    if (*s > 59 || *mi > 59 || *h > 23 || *d < 1 || *d > 31 || *mo < 1 || *mo > 12)
        return std::nullopt;
    return MeterTime{2000 + *y, *mo, *d, *h, *mi, *s};
}

std::array<uint8_t, kMeterTimeBytes> encode_meter_time(const MeterTime& t) {
    std::array<uint8_t, kMeterTimeBytes> out{};
    out[kSecond] = bcd_byte(t.second);
    out[kMinute] = bcd_byte(t.minute);
    out[kHour] = bcd_byte(t.hour);
    out[kDay] = bcd_byte(t.day);
    out[kMonth] = bcd_byte(t.month);
    out[kYear] = bcd_byte(t.year % 100);
    return out;
}

std::optional<int64_t> local_to_unix(const MeterTime& t) {
    struct tm tm {};
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.month - 1;
    tm.tm_mday = t.day;
    tm.tm_hour = t.hour;
    tm.tm_min = t.minute;
    tm.tm_sec = t.second;
    tm.tm_isdst = -1;  // the zone's rules say whether summer time applied then
    const time_t s = mktime(&tm);
    if (s == static_cast<time_t>(-1)) return std::nullopt;
    // mktime normalises a day the month lacks (31 February) into the next month: not a time
    // the meter could have written.
    if (tm.tm_mday != t.day || tm.tm_mon != t.month - 1) return std::nullopt;
    return static_cast<int64_t>(s);
}

MeterTime unix_to_local(int64_t unix_s) {
    const auto tt = static_cast<time_t>(unix_s);
    struct tm tm {};
    localtime_r(&tt, &tm);
    MeterTime t{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    if (t.year < 2000) return MeterTime{};
    if (t.year > 2099) return MeterTime{2099, 12, 31, 23, 59, 59};
    t.second = std::min(t.second, 59);  // a leap second
    return t;
}

}  // namespace sealwatch::dlt645
