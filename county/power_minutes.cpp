#include "county/power_minutes.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "common/physical_range.hpp"
#include "common/quantities.hpp"

namespace sealwatch::county {

namespace {

constexpr size_t kPw = quantity_index("p_w");
constexpr WallMs kMinuteMs = 60'000;

// NaN and infinities are never in range.
bool plausible(double w) {
    return within_physical_range(kPw, w);
}

}  // namespace

WallMs minute_of(WallMs t) {
    const WallMs r = t % kMinuteMs;
    return t - (r < 0 ? r + kMinuteMs : r);
}

std::vector<PowerMinute> power_minutes(const wire::Telemetry& telemetry) {
    std::map<std::pair<std::string, WallMs>, PowerMinute> folded;
    auto fold = [&](const std::string& meter, WallMs minute, int64_t n, double sum, double lo,
                    double hi) {
        auto [it, fresh] =
            folded.try_emplace({meter, minute}, PowerMinute{meter, minute, n, sum, lo, hi});
        if (fresh) return;
        auto& m = it->second;
        m.n += n;
        m.sum_w += sum;
        m.min_w = std::min(m.min_w, lo);
        m.max_w = std::max(m.max_w, hi);
    };
    for (const auto& r : telemetry.readings)
        for (const auto& v : r.values)
            if (v.quantity == kPw && plausible(v.value))
                fold(r.meter, minute_of(r.wall_ms), 1, v.value, v.value, v.value);
    for (const auto& r : telemetry.rollups) {
        if (!r.p_avg_w || !plausible(*r.p_avg_w) || r.n <= 0) continue;
        const double avg = *r.p_avg_w;
        const double lo = r.p_min_w && plausible(*r.p_min_w) ? *r.p_min_w : avg;
        const double hi = r.p_max_w && plausible(*r.p_max_w) ? *r.p_max_w : avg;
        fold(r.meter, minute_of(r.minute), r.n, avg * static_cast<double>(r.n), lo, hi);
    }
    std::vector<PowerMinute> out;
    out.reserve(folded.size());
    for (auto& [key, m] : folded) out.push_back(std::move(m));
    return out;
}

}  // namespace sealwatch::county
