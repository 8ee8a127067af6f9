#pragma once
// reverse_energy: a feeder that only consumes shows export (a reversed CT): negative total or
// per-phase power beyond reverse_w, or an export register advancing faster than that; judged
// per meter unless its asset has export_allowed, with the asset's timing.
#include "detect/rules/meter_alarm.hpp"

namespace sealwatch::detect {

class ReverseEnergy final : public MeterAlarmRule {
  public:
    explicit ReverseEnergy(Site& site) : MeterAlarmRule(site, "reverse_energy", "reverse") {}
    void on_reading(const MeterReading& r, Events& out) override;
};

}  // namespace sealwatch::detect
