#pragma once
// counter_rollback: an energy register went backwards by more than rollback_tolerance_kwh,
// confirmed by the next reading (Counter holds a single bad read back and drops it).
#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class CounterRollback final : public Rule {
  public:
    using Rule::Rule;
    void on_reading(const MeterReading& r, Events& out) override;
};

}  // namespace sealwatch::detect
