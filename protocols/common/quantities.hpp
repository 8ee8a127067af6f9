#pragma once
// The contract's one vocabulary of measured quantities, units in the name. Telemetry, CSV,
// exports and profiles all use exactly these names.
#include <array>
#include <string_view>

namespace sealwatch {

inline constexpr std::array<std::string_view, 23> kQuantities = {
    "u_l1_v",       "u_l2_v",       "u_l3_v",       "i_l1_a",       "i_l2_a",       "i_l3_a",
    "p_w",          "p_l1_w",       "p_l2_w",       "p_l3_w",       "q_var",        "s_va",
    "pf",           "f_hz",         "e_imp_kwh",    "e_exp_kwh",    "thd_u_l1_pct", "thd_u_l2_pct",
    "thd_u_l3_pct", "thd_i_l1_pct", "thd_i_l2_pct", "thd_i_l3_pct", "e_total_kwh"};

constexpr bool is_quantity(std::string_view name) {
    for (auto q : kQuantities)
        if (q == name) return true;
    return false;
}

}  // namespace sealwatch
