#include "detect/rules/phase_loss.hpp"

#include <algorithm>

#include "detect/evidence.hpp"

namespace sealwatch::detect {

namespace {
constexpr size_t kI1 = quantity_index("i_l1_a"), kI2 = quantity_index("i_l2_a"),
                 kI3 = quantity_index("i_l3_a");
}  // namespace

void PhaseLoss::on_reading(const MeterReading& r, Events& out) {
    const auto& v = r.s.v;
    if (std::isnan(v[kI1]) || std::isnan(v[kI2]) || std::isnan(v[kI3])) return;
    double imax = std::max({v[kI1], v[kI2], v[kI3]});
    double imin = std::min({v[kI1], v[kI2], v[kI3]});
    const double draw = r.meter.draw;
    bool loaded = !r.asset || (!std::isnan(draw) && draw >= r.asset->production_w);
    bool cond = loaded && imax >= site_.d.phase_min_a && imin < imax * site_.d.phase_loss_pct / 100;
    auto* det = step_alarm(r, cond, imax, out);
    if (!det) return;
    (*det)["peak_current_a"] = round_to(alarm(r.index).peak, 0.01);
    span_evidence(*det, alarm(r.index));
    (*det)["i_a"] = {v[kI1], v[kI2], v[kI3]};
}

}  // namespace sealwatch::detect
