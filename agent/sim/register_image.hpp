#pragma once
// What a meter's registers hold at one moment: every profile field's value encoded at its
// address (raw = (value - offset) / scale), the serial too; everything else reads 0. Reads
// that cross one of the profile's barriers (holes in the real meter's map) are refused with
// "illegal data address", as the real meter would. Pure.
#include <cstdint>
#include <map>
#include <vector>

#include "modbus/block_plan.hpp"
#include "profiles/profile.hpp"
#include "sim/meter_model.hpp"

namespace sealwatch::sim {

inline constexpr int kIllegalFunction = 1;
inline constexpr int kIllegalDataAddress = 2;
inline constexpr int kIllegalDataValue = 3;
inline constexpr int kGatewayTargetFailed = 11;

class RegisterImage {
  public:
    static RegisterImage render(const profiles::Profile& profile, const Values& values,
                                uint64_t serial);

    // Fills out with count registers from address, or returns a Modbus exception code:
    // 3 for a count outside 1..max (the profile's max_registers, at most 125), 2 past the end
    // of the map or across a barrier.
    int read(modbus::Table table, uint16_t address, uint16_t count,
             std::vector<uint16_t>& out) const;

    uint16_t word(modbus::Table table, uint16_t address) const;

  private:
    void put(const profiles::Field& field, double value);

    std::map<uint16_t, uint16_t> holding_;
    std::map<uint16_t, uint16_t> input_;
    std::vector<uint16_t> barriers_;
    uint16_t max_registers_ = modbus::kMaxReadRegisters;
};

}  // namespace sealwatch::sim
