#include "detect/rules/meter_replaced.hpp"

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
constexpr size_t kImp = quantity_index("e_imp_kwh");
}

void MeterReplaced::before_registers(MeterReading& r, Events& out) {
    auto& m = r.meter;
    if (r.s.serial.empty() || r.s.serial == m.serial) return;
    if (!m.serial.empty()) {
        auto e = make_event("meter_replaced", EventState::info, severity("meter_replaced", r.state),
                            site_.asset_id(m), m.id, r.ts, r.ts,
                            site_.make_id("meter_replaced", m.id, r.ts));
        e.details["old_serial"] = m.serial;
        e.details["new_serial"] = std::string(r.s.serial);
        if (m.imp.valid) e.details["old_e_imp_kwh"] = m.imp.value;
        if (!std::isnan(r.s.v[kImp])) e.details["new_e_imp_kwh"] = r.s.v[kImp];
        if (m.seen) e.details["last_reading_old_meter"] = format_rfc3339(m.last_ts);
        out.push_back(std::move(e));
        m.imp = Counter{};
        m.exp = Counter{};
    }
    m.serial.assign(r.s.serial);
}

}  // namespace sealwatch::detect
