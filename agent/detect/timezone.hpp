#pragma once
// A time zone as a table of UTC offsets, for the time-of-day evidence of the detector (night
// heats). Loading reads a TZif file (I/O, done by the caller); looking up is pure.
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace sealwatch::detect {

class TimeZone {
  public:
    TimeZone() = default;  // UTC
    static TimeZone fixed(int offset_s);
    // "UTC", or a name under `zoneinfo_dir` ("Asia/Shanghai"). Unreadable or malformed: UTC,
    // and `ok` (when given) is set false. Times after the file's last transition use the last
    // offset (the POSIX rule in the footer is not evaluated: fine for zones without DST).
    static TimeZone load(const std::string& name, bool* ok = nullptr,
                         const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

    int offset_s(WallMs t) const;
    int hour_of_day(WallMs t) const;  // local 0..23

  private:
    std::vector<int64_t> transitions_;  // Unix seconds, ascending
    std::vector<int> offsets_;          // offset from transitions_[i] on
    int initial_offset_ = 0;
};

}  // namespace sealwatch::detect
