#include "detect/rules/consumption_while_offline.hpp"

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

void ConsumptionWhileOffline::on_reading(const MeterReading& r, Events& out) {
    const auto& m = r.meter;
    // A gap: at least one poll missed (the meter silent, offline, or the gateway away), however
    // short; the registers' advance over it is judged here, nothing else saw it.
    if (!r.asset || !restricted(r.state) || !(r.imp.advanced || r.exp.advanced) ||
        r.adv_span * 2 <= m.interval * 3)
        return;
    const auto& a = *r.asset;
    const WallMs from = r.adv_from, to = r.ts;
    const double kwh = r.adv_kwh;
    double hours = static_cast<double>(to - from) / 3.6e6;
    double mean_w = kwh * 1000 / hours;
    double limit_w = a.state == config::AssetState::shut ? a.production_w : a.raise_w;
    if (kwh <= site_.d.counter_floor_kwh || mean_w <= limit_w) return;
    auto e = make_event("consumption_while_offline", EventState::info,
                        severity("consumption_while_offline", a.state), a.cfg->id, m.id, to, from,
                        site_.make_id("consumption_while_offline", m.id, from));
    auto& det = e.details;
    det["gap_start"] = format_rfc3339(from);
    det["gap_end"] = format_rfc3339(to);
    det["gap_s"] = (to - from) / 1000;
    det["energy_kwh"] = round_to(kwh, 0.001);
    det["mean_power_w"] = round_to(mean_w, 0.1);
    det["limit_w"] = limit_w;
    det["serial"] = m.serial;
    out.push_back(std::move(e));
}

}  // namespace sealwatch::detect
