#include "detect/rules/counter_rollback.hpp"

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

void CounterRollback::on_reading(const MeterReading& r, Events& out) {
    for (const auto* step : {&r.imp, &r.exp}) {
        if (!step->rollback) continue;
        auto e =
            make_event("counter_rollback", EventState::info, severity("counter_rollback", r.state),
                       site_.asset_id(r.meter), r.meter.id, r.ts, step->from,
                       site_.make_id("counter_rollback", r.meter.id, step->from));
        e.details["quantity"] = step == &r.imp ? "e_imp_kwh" : "e_exp_kwh";
        e.details["from_kwh"] = step->from_value;
        e.details["to_kwh"] = step->to_value;
        e.details["serial"] = r.meter.serial;
        out.push_back(std::move(e));
    }
}

}  // namespace sealwatch::detect
