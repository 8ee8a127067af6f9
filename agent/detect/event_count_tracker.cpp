#include "detect/event_count_tracker.hpp"

namespace sealwatch::detect {

std::vector<CountChange> EventCountTracker::update(const std::vector<MeterEventCount>& counts) {
    std::vector<CountChange> changes;
    for (const MeterEventCount& c : counts) {
        auto [it, first] = last_.try_emplace(c.identifier, c.count);
        if (first) {
            changes.push_back({CountChange::Kind::baseline, &c, 0});
            continue;
        }
        if (c.count == it->second) continue;
        const auto kind =
            c.count > it->second ? CountChange::Kind::advanced : CountChange::Kind::went_back;
        changes.push_back({kind, &c, it->second});
        it->second = c.count;
    }
    return changes;
}

nlohmann::ordered_json EventCountTracker::to_json() const {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [identifier, count] : last_) j[identifier] = count;
    return j;
}

void EventCountTracker::from_json(const nlohmann::json& j) {
    last_ = j.get<std::map<std::string, uint64_t>>();
}

}  // namespace sealwatch::detect
