#include "sim/register_image.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "modbus/registers.hpp"

namespace sealwatch::sim {

void RegisterImage::put(const profiles::Field& field, double value) {
    if (field.scale == 0.0 || !std::isfinite(value)) return;
    double raw = (value - field.offset) / field.scale;
    int n = modbus::register_count(field.encoding.type);
    std::array<uint16_t, 4> words{};
    modbus::encode(raw, field.encoding, std::span<uint16_t>(words.data(), static_cast<size_t>(n)));
    auto& table = field.table == modbus::Table::input ? input_ : holding_;
    for (int i = 0; i < n; ++i) {
        uint32_t addr = field.address + static_cast<uint32_t>(i);
        if (addr > 0xFFFF) break;
        table[static_cast<uint16_t>(addr)] = words[static_cast<size_t>(i)];
    }
}

RegisterImage RegisterImage::render(const profiles::Profile& profile, const Values& values,
                                    uint64_t serial) {
    RegisterImage img;
    img.barriers_ = profile.plan.barriers;
    if (profile.plan.max_registers > 0)
        img.max_registers_ = std::min(profile.plan.max_registers, modbus::kMaxReadRegisters);
    for (const profiles::Field& f : profile.fields) {
        auto it = values.find(f.quantity);
        if (it != values.end()) img.put(f, it->second);
    }
    if (profile.serial) img.put(*profile.serial, static_cast<double>(serial));
    return img;
}

uint16_t RegisterImage::word(modbus::Table table, uint16_t address) const {
    const auto& m = table == modbus::Table::input ? input_ : holding_;
    auto it = m.find(address);
    return it == m.end() ? 0 : it->second;
}

int RegisterImage::read(modbus::Table table, uint16_t address, uint16_t count,
                        std::vector<uint16_t>& out) const {
    if (count < 1 || count > max_registers_) return kIllegalDataValue;
    if (static_cast<uint32_t>(address) + count > 0x10000) return kIllegalDataAddress;
    for (uint16_t b : barriers_)
        if (b > address && static_cast<uint32_t>(b) < static_cast<uint32_t>(address) + count)
            return kIllegalDataAddress;
    out.clear();
    out.reserve(count);
    for (uint32_t a = address; a < static_cast<uint32_t>(address) + count; ++a)
        out.push_back(word(table, static_cast<uint16_t>(a)));
    return 0;
}

}  // namespace sealwatch::sim
