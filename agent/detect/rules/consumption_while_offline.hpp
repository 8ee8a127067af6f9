#pragma once
// consumption_while_offline: on a shut, sealed or dismantled asset, a meter's registers
// advanced over a gap of any length, i.e. at least one missed poll (meter pulled, bus cut,
// gateway off), by more than the asset may draw: mean power above the reenergized raise level
// (sealed, dismantled) or production_w (shut), and at least counter_floor_kwh. One info event at
// the first reading after the gap.
#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class ConsumptionWhileOffline final : public Rule {
  public:
    using Rule::Rule;
    void on_reading(const MeterReading& r, Events& out) override;
};

}  // namespace sealwatch::detect
