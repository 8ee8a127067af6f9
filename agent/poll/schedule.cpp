#include "poll/schedule.hpp"

#include <algorithm>

namespace sealwatch::poll {

namespace {
constexpr int64_t kNsPerMs = 1000000;
}

Schedule::Schedule(std::vector<MeterTiming> meters, MonoNs start)
    : meters_(std::move(meters)),
      stats_(meters_.size()),
      due_(meters_.size(), start),
      backoff_ms_(meters_.size(), 0) {
    // Spread first polls of same-interval meters over a few milliseconds: same order, no burst.
    for (size_t i = 0; i < due_.size(); ++i) due_[i] = start + static_cast<int64_t>(i) * kNsPerMs;
}

Schedule::Next Schedule::next() const {
    size_t best = 0;
    for (size_t i = 1; i < due_.size(); ++i)
        if (due_[i] < due_[best]) best = i;
    return {best, due_.empty() ? 0 : due_[best]};
}

std::optional<HealthChange> Schedule::record(size_t i, Outcome outcome, MonoNs started, WallMs wall,
                                             const std::string& reason) {
    auto& s = stats_[i];
    const auto& m = meters_[i];
    const int64_t interval = m.interval_ms * kNsPerMs;
    ++s.polls;

    std::optional<MeterHealth> health = s.health;
    if (outcome == Outcome::failed) {
        ++s.failures;
        ++s.consecutive_failures;
        if (s.consecutive_failures >= m.offline_after) health = MeterHealth::offline;
    } else {
        if (outcome == Outcome::refused) ++s.refusals;
        s.consecutive_failures = 0;
        s.last_ok_ms = wall;
        health = outcome == Outcome::ok ? MeterHealth::online : MeterHealth::misconfigured;
    }

    // Next due: keep the fixed rate (no drift) while the meter answers or has only just failed;
    // an offline meter is tried again after a doubling pause, so it costs its timeout rarely.
    if (health == MeterHealth::offline) {
        backoff_ms_[i] = backoff_ms_[i] == 0 ? 2 * m.interval_ms
                                             : std::min(backoff_ms_[i] * 2, m.backoff_max_ms);
        backoff_ms_[i] = std::max(backoff_ms_[i], m.interval_ms);
        due_[i] = started + backoff_ms_[i] * kNsPerMs;
    } else {
        backoff_ms_[i] = 0;
        due_[i] += interval;
        if (due_[i] <= started) {
            // Fell behind (a slow bus): skip the missed slots rather than burst to catch up.
            int64_t missed = (started - due_[i]) / interval + 1;
            due_[i] += missed * interval;
        }
    }

    if (health == s.health) return std::nullopt;
    bool first = !s.health.has_value();
    s.health = health;
    s.health_since_ms = wall;
    // The first "online" is not news; the first "offline" is.
    if (first && health == MeterHealth::online) return std::nullopt;
    return HealthChange{m.id, wall, started, *health, reason};
}

}  // namespace sealwatch::poll
