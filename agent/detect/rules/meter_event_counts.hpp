#pragma once
// meter_cover_opened, meter_power_loss, meter_cleared, meter_clock_set, meter_phase_failure:
// the meter's own event counts (read by the poller at their slower interval) advanced since
// the last known read. One info event per count that moved; a count that went backwards (the
// meter's records cleared, or another meter in its place) is re-baselined and said as
// meter_cleared. The first read of a count is its baseline and raises nothing.
#include "detect/event_count_tracker.hpp"
#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class MeterEventCounts final : public Rule {
  public:
    explicit MeterEventCounts(Site& site) : Rule(site), trackers_(site.meters.size()) {}
    void on_event_counts(int meter, const EventCounts& counts, Events& out) override;
    void snapshot(ojson& j) const override;
    void restore(const nlohmann::json& j) override;

  private:
    std::vector<EventCountTracker> trackers_;  // by meter index
};

}  // namespace sealwatch::detect
