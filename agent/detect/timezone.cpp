#include "detect/timezone.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace sealwatch::detect {

namespace {

int64_t be(const unsigned char* p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
}

}  // namespace

TimeZone TimeZone::fixed(int offset_s) {
    TimeZone tz;
    tz.initial_offset_ = offset_s;
    return tz;
}

TimeZone TimeZone::load(const std::string& name, bool* ok, const std::string& zoneinfo_dir) {
    if (ok) *ok = true;
    if (name == "UTC" || name.empty()) return {};
    auto fail = [&] {
        if (ok) *ok = false;
        return TimeZone{};
    };
    std::ifstream in(zoneinfo_dir + "/" + name, std::ios::binary);
    if (!in) return fail();
    std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
    // Header: "TZif", version, 15 reserved, six 4-byte counts.
    auto header = [&](size_t at, int64_t c[6]) {
        if (d.size() < at + 44 || d[at] != 'T' || d[at + 1] != 'Z' || d[at + 2] != 'i' ||
            d[at + 3] != 'f')
            return false;
        for (int i = 0; i < 6; ++i) c[i] = be(&d[at + 20 + 4 * static_cast<size_t>(i)], 4);
        return true;
    };
    int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    if (!header(0, c)) return fail();
    size_t at = 0;
    int tsize = 4;
    if (d[4] >= '2') {  // skip the v1 body to the 64-bit one
        size_t v1 = 44 + static_cast<size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
        if (!header(v1, c)) return fail();
        at = v1;
        tsize = 8;
    }
    size_t p = at + 44;
    auto timecnt = static_cast<size_t>(c[3]), typecnt = static_cast<size_t>(c[4]);
    if (typecnt == 0 || d.size() < p + timecnt * static_cast<size_t>(tsize + 1) + typecnt * 6)
        return fail();
    TimeZone tz;
    std::vector<size_t> idx(timecnt);
    for (size_t i = 0; i < timecnt; ++i)
        tz.transitions_.push_back(be(&d[p + i * static_cast<size_t>(tsize)], tsize));
    p += timecnt * static_cast<size_t>(tsize);
    for (size_t i = 0; i < timecnt; ++i) idx[i] = d[p + i];
    p += timecnt;
    std::vector<int> type_off(typecnt);
    for (size_t i = 0; i < typecnt; ++i) type_off[i] = static_cast<int>(be(&d[p + i * 6], 4));
    for (size_t i = 0; i < timecnt; ++i) {
        if (idx[i] >= typecnt) return fail();
        tz.offsets_.push_back(type_off[idx[i]]);
    }
    tz.initial_offset_ = type_off[0];
    return tz;
}

int TimeZone::offset_s(WallMs t) const {
    int64_t s = t / 1000;
    auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
    if (it == transitions_.begin()) return initial_offset_;
    return offsets_[static_cast<size_t>(it - transitions_.begin() - 1)];
}

int TimeZone::hour_of_day(WallMs t) const {
    int64_t local = t / 1000 + offset_s(t);
    int64_t day = 86400;
    int64_t sec = ((local % day) + day) % day;
    return static_cast<int>(sec / 3600);
}

}  // namespace sealwatch::detect
