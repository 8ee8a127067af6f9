// libFuzzer target: the meter profile loader (profiles::parse_profile), and for a profile that
// loads, its read plan and the decoding of every field from registers taken from the input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "modbus/registers.hpp"
#include "profiles/profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto profile = sealwatch::profiles::parse_profile(text, "fuzz.toml");
    if (!profile) return 0;
    (void)sealwatch::profiles::plan_reads(*profile);
    // The profile text's own bytes as register contents: arbitrary, and different per input.
    std::vector<uint16_t> regs(4);
    for (size_t i = 0; i < regs.size() && 2 * i + 1 < size; ++i)
        regs[i] = static_cast<uint16_t>(data[2 * i] << 8 | data[2 * i + 1]);
    for (const auto& field : profile->fields) {
        auto n = static_cast<size_t>(sealwatch::modbus::register_count(field.encoding.type));
        (void)sealwatch::profiles::field_value(field, std::span<const uint16_t>(regs.data(), n));
    }
    return 0;
}
