#pragma once
// The last known value of each of one meter's own event counts, and what a new read of them
// says against it. The first value ever seen of a count is its baseline (nothing happened that
// we know of); a higher value is an advance (the meter recorded that many events since); a
// lower one means the meter's records were cleared or the meter was replaced: the count is
// re-baselined and the caller says so. The counts outlive a restart in the detector's snapshot,
// so a restart neither raises again nor misses what the meter counted while the agent was down.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/event_counts.hpp"

namespace sealwatch::detect {

struct CountChange {
    enum class Kind { baseline, advanced, went_back };
    Kind kind = Kind::baseline;
    const MeterEventCount* count = nullptr;  // into the read handed to update()
    uint64_t old_count = 0;                  // advanced, went_back: the last known count
};

class EventCountTracker {
  public:
    // Compares each count with the last known one (by identifier) and keeps the new value.
    // Returns one change per count that is new or moved; an unchanged count returns nothing.
    std::vector<CountChange> update(const std::vector<MeterEventCount>& counts);

    bool empty() const { return last_.empty(); }
    // {"03300D00": 4, ...}; from_json throws nlohmann::json::exception on another shape.
    nlohmann::ordered_json to_json() const;
    void from_json(const nlohmann::json& j);

  private:
    std::map<std::string, uint64_t> last_;  // identifier -> count
};

}  // namespace sealwatch::detect
