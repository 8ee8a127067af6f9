#pragma once
// phase_loss: one phase carries no current while the others do (an open or bypassed CT). With
// all three currents read, the largest >= phase_min_a and the smallest below phase_loss_pct of
// it, judged only while the meter carries its asset's production_w (below that, a
// single-phase load idles a phase legitimately).
#include "detect/rules/meter_alarm.hpp"

namespace sealwatch::detect {

class PhaseLoss final : public MeterAlarmRule {
  public:
    explicit PhaseLoss(Site& site) : MeterAlarmRule(site, "phase_loss", "phase") {}
    void on_reading(const MeterReading& r, Events& out) override;
};

}  // namespace sealwatch::detect
