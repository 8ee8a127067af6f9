#pragma once
// What the timed per-meter rules (reverse_energy, phase_loss) share: an Alarm per meter
// stepped with the meter's asset timing, the event frame on raise and clear, the open-alarm
// view and the snapshot part under one key of the meter's entry.
#include <string_view>
#include <vector>

#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class MeterAlarmRule : public Rule {
  public:
    MeterAlarmRule(Site& site, std::string_view type, const char* snapshot_key)
        : Rule(site), type_(type), key_(snapshot_key), alarms_(site.meters.size()) {}
    void open_alarms(Events& out) const override;
    void snapshot(ojson& j) const override;
    void restore(const nlohmann::json& j) override;

  protected:
    // One evaluation for the meter of `r`, with its asset's timing (or `timing`). On raise or
    // clear pushes the event and returns its details for the rule to fill; else null.
    ojson* step_alarm(const MeterReading& r, bool cond, double v, Events& out,
                      const Timing* timing = nullptr);
    const Alarm& alarm(int meter) const { return alarms_[static_cast<size_t>(meter)]; }

  private:
    std::string_view type_;
    const char* key_;
    std::vector<Alarm> alarms_;  // by meter index
};

}  // namespace sealwatch::detect
