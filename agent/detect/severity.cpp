#include "detect/severity.hpp"

#include <array>

namespace sealwatch::detect {

namespace {

using enum Severity;

struct Row {
    std::string_view type;
    Severity closed;  // sealed, dismantled
    Severity shut;
    Severity open;  // operating, rectifying, or no asset
};

// Where a rule does not raise in a state (reenergized on a shut asset), its cell still holds
// the severity its clearing event takes after a state change made the alarm moot.
constexpr std::array kTable = {
    Row{"reenergized", critical, critical, critical},
    Row{"production_suspected", major, major, major},
    Row{"consumption_while_offline", critical, major, major},
    Row{"furnace_signature", critical, major, major},
    Row{"reverse_energy", critical, major, major},
    Row{"meter_offline", major, minor, minor},
    Row{"meter_replaced", major, major, minor},
    Row{"counter_rollback", major, major, minor},
    Row{"power_register_mismatch", critical, major, minor},
    Row{"phase_loss", major, major, minor},
    Row{"unmetered_load", critical, major, major},
    // The meter's own witness: the cover opened or its records cleared on a sealed furnace is
    // tampering with the evidence itself; on a working line it is a maintenance visit.
    Row{"meter_cover_opened", critical, major, minor},
    Row{"meter_cleared", critical, major, minor},
    Row{"meter_power_loss", major, minor, info},
    Row{"meter_clock_set", major, minor, info},
    Row{"meter_phase_failure", major, major, minor},
    Row{"asset_state_changed", info, info, info},
};

}  // namespace

Severity severity(std::string_view type, config::AssetState state) {
    for (const auto& row : kTable) {
        if (row.type != type) continue;
        switch (state) {
            case config::AssetState::sealed:
            case config::AssetState::dismantled:
                return row.closed;
            case config::AssetState::shut:
                return row.shut;
            case config::AssetState::operating:
            case config::AssetState::rectifying:
                return row.open;
        }
    }
    return info;
}

}  // namespace sealwatch::detect
