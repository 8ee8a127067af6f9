#include "detect/rules/power_register_mismatch.hpp"

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
constexpr const char* kType = "power_register_mismatch";
}  // namespace

void PowerRegisterMismatch::on_reading(const MeterReading& r, Events& out) {
    if (r.imp.jumped) report_jump(r, r.imp, "e_imp_kwh", out);
    if (r.exp.jumped) report_jump(r, r.exp, "e_exp_kwh", out);

    const auto& v = r.energy;
    const double hours = static_cast<double>(v.window) / 3.6e6;
    const double unexplained_w = hours > 0 ? (v.register_kwh - v.power_kwh) * 1000 / hours : 0;
    // Clears as soon as the window no longer holds unexplained energy: the window itself (15
    // minutes at least) is the hold time; a draw alarm's 30 minutes span a pause between heats,
    // which means nothing to a meter's power values.
    Timing timing = site_.timing_of(r.meter);
    timing.min_off = 0;
    auto* det = step_alarm(r, v.unexplained, unexplained_w, out, &timing);
    if (!det) return;
    const auto& al = alarm(r.index);
    (*det)["quantity"] = r.power_quantity ? r.power_quantity : "";
    (*det)["power_values"] = r.meter.energy.power_values();
    (*det)["register_kwh"] = round_to(v.register_kwh, 0.001);
    (*det)["power_kwh"] = round_to(v.power_kwh, 0.001);
    (*det)["window_s"] = v.window / 1000;
    (*det)["register_w"] = hours > 0 ? round_to(v.register_kwh * 1000 / hours, 0.1) : 0.0;
    (*det)["power_w"] = hours > 0 ? round_to(v.power_kwh * 1000 / hours, 0.1) : 0.0;
    (*det)["peak_unexplained_w"] = round_to(al.peak, 0.1);
    span_evidence(*det, al);
}

void PowerRegisterMismatch::report_jump(const MeterReading& r, const Counter::Result& step,
                                        const char* quantity, Events& out) const {
    const auto& m = r.meter;
    auto e = make_event(kType, EventState::info, severity(kType, r.state), site_.asset_id(m), m.id,
                        r.ts, step.jump_at, site_.make_id(kType, m.id, step.jump_at));
    auto& det = e.details;
    const double kwh = step.to_value - step.from_value;
    const WallMs span = std::max<WallMs>(step.jump_at - step.jump_prev, 1000);
    det["reason"] = "register_jump";
    det["quantity"] = quantity;
    det["from_kwh"] = step.from_value;
    det["to_kwh"] = step.to_value;
    det["jump_kwh"] = round_to(kwh, 0.001);
    det["span_s"] = span / 1000;
    det["implied_w"] = round_to(kwh * kKwhMsToW / static_cast<double>(span), 1);
    det["max_power_w"] = site_.d.max_power_w;
    det["serial"] = m.serial;
    out.push_back(std::move(e));
}

}  // namespace sealwatch::detect
