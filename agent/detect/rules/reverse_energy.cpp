#include "detect/rules/reverse_energy.hpp"

#include <algorithm>

#include "detect/evidence.hpp"

namespace sealwatch::detect {

namespace {
constexpr size_t kPw = quantity_index("p_w");
constexpr size_t kPl1 = quantity_index("p_l1_w"), kPl2 = quantity_index("p_l2_w"),
                 kPl3 = quantity_index("p_l3_w");
}  // namespace

void ReverseEnergy::on_reading(const MeterReading& r, Events& out) {
    if (r.export_ok) return;
    const auto& m = r.meter;
    double rev_w = 0;
    if (!std::isnan(r.s.v[kPw])) rev_w = std::max(rev_w, -r.s.v[kPw]);
    for (size_t q : {kPl1, kPl2, kPl3})
        if (!std::isnan(r.s.v[q])) rev_w = std::max(rev_w, -r.s.v[q]);
    const auto& rx = r.exp;
    if (rx.advanced && rx.delta > 0 && r.ts - rx.from <= m.silence && r.ts > rx.from)
        rev_w = std::max(rev_w, rx.delta * kKwhMsToW / static_cast<double>(r.ts - rx.from));
    auto* det = step_alarm(r, rev_w > site_.d.reverse_w, rev_w, out);
    if (!det) return;
    const auto& al = alarm(r.index);
    (*det)["peak_reverse_w"] = round_to(al.peak, 0.1);
    (*det)["reverse_energy_kwh"] = round_to(al.energy_wh / 1000, 0.001);
    if (m.exp.valid) (*det)["e_exp_kwh"] = m.exp.value;
    span_evidence(*det, al);
}

}  // namespace sealwatch::detect
