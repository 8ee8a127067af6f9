#pragma once
// The physical range of each quantity: a value outside it cannot have been measured, whatever
// the meter, so it is a bad read (a garbage register, a unit mix-up, a corrupted export), not a
// reading. The analyze CSV reader counts such cells as absent (contract, "CSV for analyze");
// the live poll path uses the same table. The bounds are on primary values, the plant's side of
// any instrument transformer: the poller checks a value after applying the meter's CT/PT ratios
// (poll/bus_poller.cpp says why), and everything downstream holds primary values only. One row
// per entry of kQuantities, in the same order (checked below).
//
// The bounds are generous on purpose: they reject what no meter can measure, not what is merely
// unusual. Whether an in-range value is plausible for *this* asset is the detector's judgement.
#include <array>
#include <cstddef>
#include <string_view>

#include "common/quantities.hpp"

namespace sealwatch {

struct PhysicalRange {
    std::string_view quantity;
    double min;
    double max;
};

namespace physical_limit {
// Phase voltage: meters behind voltage transformers report primary values (110 kV lines are
// 63.5 kV per phase); 1 MV is beyond any distribution or transmission level a plant meters.
inline constexpr double kVolt = 1e6;
// Phase current: primary values behind CTs; the largest plant feeders carry tens of kA.
inline constexpr double kAmp = 1e6;
// Power (total or one phase; active, reactive, apparent): the largest single industrial loads
// (arc-furnace steel plants at 220 kV) are a few hundred MW. 1e9 W is a garbage read.
inline constexpr double kWatt = 5e8;
// Energy registers count up from 0; 1e12 kWh (1000 TWh) is more than any meter can count.
inline constexpr double kKwh = 1e12;
// Power factor: |pf| <= 1; a little slack for meters that round a float register up.
inline constexpr double kPf = 1.01;
// Frequency: 0 when the meter sees no voltage; grids run at 50/60 Hz, 400 Hz at most on
// aircraft and ship networks. 1 kHz is a unit mix-up.
inline constexpr double kHz = 1000;
// Harmonic distortion in % of the fundamental: well above 100 % for light electronic loads;
// 1000 % is not a measurement.
inline constexpr double kThdPct = 1000;
}  // namespace physical_limit

inline constexpr std::array<PhysicalRange, kQuantities.size()> kPhysicalRanges = {{
    {"u_l1_v", 0, physical_limit::kVolt},
    {"u_l2_v", 0, physical_limit::kVolt},
    {"u_l3_v", 0, physical_limit::kVolt},
    {"i_l1_a", 0, physical_limit::kAmp},
    {"i_l2_a", 0, physical_limit::kAmp},
    {"i_l3_a", 0, physical_limit::kAmp},
    // Power is signed: positive = drawn from the grid, negative = fed back or a reversed CT.
    {"p_w", -physical_limit::kWatt, physical_limit::kWatt},
    {"p_l1_w", -physical_limit::kWatt, physical_limit::kWatt},
    {"p_l2_w", -physical_limit::kWatt, physical_limit::kWatt},
    {"p_l3_w", -physical_limit::kWatt, physical_limit::kWatt},
    {"q_var", -physical_limit::kWatt, physical_limit::kWatt},
    {"s_va", 0, physical_limit::kWatt},
    {"pf", -physical_limit::kPf, physical_limit::kPf},
    {"f_hz", 0, physical_limit::kHz},
    {"e_imp_kwh", 0, physical_limit::kKwh},
    {"e_exp_kwh", 0, physical_limit::kKwh},
    {"thd_u_l1_pct", 0, physical_limit::kThdPct},
    {"thd_u_l2_pct", 0, physical_limit::kThdPct},
    {"thd_u_l3_pct", 0, physical_limit::kThdPct},
    {"thd_i_l1_pct", 0, physical_limit::kThdPct},
    {"thd_i_l2_pct", 0, physical_limit::kThdPct},
    {"thd_i_l3_pct", 0, physical_limit::kThdPct},
    {"e_total_kwh", 0, physical_limit::kKwh},
}};

namespace detail {
constexpr bool ranges_follow_quantities() {
    for (size_t i = 0; i < kQuantities.size(); ++i)
        if (kPhysicalRanges[i].quantity != kQuantities[i] ||
            !(kPhysicalRanges[i].min < kPhysicalRanges[i].max))
            return false;
    return true;
}
}  // namespace detail
static_assert(detail::ranges_follow_quantities(),
              "kPhysicalRanges: one row per quantity, in kQuantities' order, min < max");

// True when v is a finite number a meter could have measured for quantity q (an index into
// kQuantities). NaN and infinities are never in range.
constexpr bool within_physical_range(size_t q, double v) {
    return v >= kPhysicalRanges[q].min && v <= kPhysicalRanges[q].max;
}

}  // namespace sealwatch
