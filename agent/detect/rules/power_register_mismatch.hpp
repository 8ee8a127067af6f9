#pragma once
// power_register_mismatch: a meter's power values do not explain its energy registers.
// - An alarm (raised / cleared) while the meter answers but its power values explain less than
//   half of what its registers counted over the ledger's window, beyond the register's
//   resolution (EnergyLedger): a power value frozen, zeroed or falsified while the register
//   climbs. Meanwhile the core judges the meter's draw from the register, so reenergized /
//   production_suspected raise as usual, with energy_source "register".
// - A finding (info) when a register jumped forward by more than any power explains
//   (max_power_w), confirmed by the next reading: a new baseline, not consumption, but the
//   energy it skipped is named here rather than dropped.
// Per meter, with its asset's timing; details name the power values that lied.
#include "detect/rules/meter_alarm.hpp"

namespace sealwatch::detect {

class PowerRegisterMismatch final : public MeterAlarmRule {
  public:
    explicit PowerRegisterMismatch(Site& site)
        : MeterAlarmRule(site, "power_register_mismatch", "mismatch") {}
    void on_reading(const MeterReading& r, Events& out) override;

  private:
    void report_jump(const MeterReading& r, const Counter::Result& step, const char* quantity,
                     Events& out) const;
};

}  // namespace sealwatch::detect
