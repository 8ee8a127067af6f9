#pragma once
// The time a DL/T 645 meter writes into its event records: YYMMDDhhmmss, six BCD bytes sent
// low byte first (seconds first, the year last), on the meter's own clock. Meters keep the
// local time of the place they serve and carry no zone: the conversions to and from Unix time
// read the machine's local zone (TZ, /etc/localtime), the one the gateway is set to.
#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace sealwatch::dlt645 {

inline constexpr uint8_t kMeterTimeBytes = 6;

struct MeterTime {
    int year = 2000;  // 2000..2099: the record holds two digits
    int month = 1;
    int day = 1;
    int hour = 0;
    int minute = 0;
    int second = 0;
};

// The time at the first six bytes of `value` (value bytes, the 33H already taken off);
// nullopt when there are fewer, a nibble is no digit or a field is out of its range (an empty
// record of zeros has month 0).
std::optional<MeterTime> decode_meter_time(std::span<const uint8_t> value);

// The six bytes of `t`, low byte first; `t` must be in the ranges above.
std::array<uint8_t, kMeterTimeBytes> encode_meter_time(const MeterTime& t);

// Unix seconds of a local time in the machine's zone; nullopt where it does not exist.
std::optional<int64_t> local_to_unix(const MeterTime& t);

// The machine's local time at Unix second `unix_s` (years outside 2000..2099 clamped).
MeterTime unix_to_local(int64_t unix_s);

}  // namespace sealwatch::dlt645
