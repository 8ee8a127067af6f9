#pragma once
// The contract's one vocabulary of measured quantities, units in the name. Telemetry, CSV,
// exports and profiles all use exactly these names; a reading carries a quantity as its index
// in kQuantities, and the two functions below are the only way from a name to that index.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace sealwatch {

inline constexpr std::array<std::string_view, 23> kQuantities = {
    "u_l1_v",       "u_l2_v",       "u_l3_v",       "i_l1_a",       "i_l2_a",       "i_l3_a",
    "p_w",          "p_l1_w",       "p_l2_w",       "p_l3_w",       "q_var",        "s_va",
    "pf",           "f_hz",         "e_imp_kwh",    "e_exp_kwh",    "thd_u_l1_pct", "thd_u_l2_pct",
    "thd_u_l3_pct", "thd_i_l1_pct", "thd_i_l2_pct", "thd_i_l3_pct", "e_total_kwh"};

// The index of a name read at run time (a profile field, a CSV column); nullopt if it is none.
constexpr std::optional<size_t> find_quantity(std::string_view name) {
    for (size_t i = 0; i < kQuantities.size(); ++i)
        if (kQuantities[i] == name) return i;
    return std::nullopt;
}

// The index of a name written in the source, fixed at compile time, e.g.
// `constexpr size_t kPw = quantity_index("p_w");`. A misspelt name does not compile.
consteval size_t quantity_index(std::string_view name) {
    if (auto i = find_quantity(name)) return *i;
    throw "not a name in kQuantities";  // reached only while compiling: a compile error
}

constexpr bool is_quantity(std::string_view name) {
    return find_quantity(name).has_value();
}

}  // namespace sealwatch
