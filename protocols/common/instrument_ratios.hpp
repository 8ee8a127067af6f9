#pragma once
// Instrument transformer ratios: a meter wired behind a current transformer (CT) or a voltage
// transformer (PT) measures and reports secondary values; the plant's primary values are those
// times the ratios (contract, "Field buses and meters"). Which quantity scales by which ratio is
// said once, here, in one row per entry of kQuantities. The poller applies the ratios exactly
// once, to the values a reader decoded (poll/bus_poller.cpp); everything after it — detection,
// store, chain, uplink, export — sees primary values only and never scales again.
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "common/quantities.hpp"
#include "common/significant.hpp"

namespace sealwatch {

struct InstrumentRatios {
    double ct = 1;  // primary current / secondary current, e.g. 200 for a 1000/5 A CT
    double pt = 1;  // primary voltage / secondary voltage, e.g. 100 for a 10 kV/100 V PT
    bool operator==(const InstrumentRatios&) const = default;
};

// The largest ratio a config may give: a 50 kA/1 A CT is 50000, a 1000 kV/100 V PT 10000.
// Beyond this a ratio is a typo (a primary current typed where the ratio belongs, and so on).
inline constexpr double kMaxInstrumentRatio = 100000;

// How a quantity's secondary value becomes its primary value.
enum class RatioScale {
    none,     // power factor, frequency, harmonic distortion: ratios cancel out
    current,  // × ct
    voltage,  // × pt
    power,    // × ct × pt: active, reactive, apparent power and the energy registers
};

inline constexpr std::array<std::pair<std::string_view, RatioScale>, kQuantities.size()>
    kRatioScales = {{
        {"u_l1_v", RatioScale::voltage},    {"u_l2_v", RatioScale::voltage},
        {"u_l3_v", RatioScale::voltage},    {"i_l1_a", RatioScale::current},
        {"i_l2_a", RatioScale::current},    {"i_l3_a", RatioScale::current},
        {"p_w", RatioScale::power},         {"p_l1_w", RatioScale::power},
        {"p_l2_w", RatioScale::power},      {"p_l3_w", RatioScale::power},
        {"q_var", RatioScale::power},       {"s_va", RatioScale::power},
        {"pf", RatioScale::none},           {"f_hz", RatioScale::none},
        {"e_imp_kwh", RatioScale::power},   {"e_exp_kwh", RatioScale::power},
        {"thd_u_l1_pct", RatioScale::none}, {"thd_u_l2_pct", RatioScale::none},
        {"thd_u_l3_pct", RatioScale::none}, {"thd_i_l1_pct", RatioScale::none},
        {"thd_i_l2_pct", RatioScale::none}, {"thd_i_l3_pct", RatioScale::none},
        {"e_total_kwh", RatioScale::power},
    }};

namespace detail {
constexpr bool ratio_scales_follow_quantities() {
    for (size_t i = 0; i < kQuantities.size(); ++i)
        if (kRatioScales[i].first != kQuantities[i]) return false;
    return true;
}
}  // namespace detail
static_assert(detail::ratio_scales_follow_quantities(),
              "kRatioScales: one row per quantity, in kQuantities' order");

// The primary value of quantity q (an index into kQuantities) that a meter reported as
// `secondary`, to 15 significant digits (common/significant.hpp: 230.1 V behind a 100:1 PT is
// 23010, not 23010.000000000004). NaN stays NaN; the sign (reverse power) is kept; a value
// with nothing to scale comes back unchanged.
inline double primary_value(size_t q, double secondary, const InstrumentRatios& r) {
    double factor = 1;
    switch (kRatioScales[q].second) {
        case RatioScale::current:
            factor = r.ct;
            break;
        case RatioScale::voltage:
            factor = r.pt;
            break;
        case RatioScale::power:
            factor = r.ct * r.pt;
            break;
        case RatioScale::none:
            break;
    }
    return factor == 1 ? secondary : round_significant(secondary * factor, 15);
}

}  // namespace sealwatch
