#pragma once
// meter_replaced: a reading carries a serial other than the last one known (also across
// restarts). The new meter's registers start a new baseline: no rollback and no gap
// consumption across the swap.
#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class MeterReplaced final : public Rule {
  public:
    using Rule::Rule;
    void before_registers(MeterReading& r, Events& out) override;
};

}  // namespace sealwatch::detect
