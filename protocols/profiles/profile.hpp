#pragma once
// A meter profile: where a meter model keeps each canonical quantity, as data (TOML), so a
// user adds a model without recompiling: Modbus registers, or DL/T 645 data identifiers
// (`protocol = "dlt645"`). File format: docs/profiles.md.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "dlt645/data_map.hpp"
#include "modbus/block_plan.hpp"
#include "modbus/registers.hpp"

namespace sealwatch::profiles {

struct Field {
    std::string quantity;  // a name from common/quantities.hpp, or "serial" for identity
    modbus::Table table = modbus::Table::holding;
    uint16_t address = 0;  // 0-based protocol address
    modbus::Encoding encoding;
    double scale = 1.0;  // value = raw * scale + offset
    double offset = 0.0;
    // Raw bits (as raw_bits() returns them) that mean "not available", e.g. 0xFFC00000 for a
    // Schneider float or 0x8000000000000000 for its int64 energies. NaN always means it.
    std::optional<uint64_t> not_available;
};

// The wire protocol a profile's meters speak: its fields are registers or data identifiers.
enum class Protocol { modbus, dlt645 };
std::string_view to_string(Protocol protocol);

struct Profile {
    std::string id;  // e.g. "eastron-sdm630"
    Protocol protocol = Protocol::modbus;
    std::string manufacturer;
    std::string model;
    std::string source;  // where the register map comes from (document, version)
    std::string origin;  // file it was read from ("builtin:eastron-sdm630.toml" or a path)
    std::vector<Field> fields;
    std::optional<Field> serial;  // identity register, read separately
    modbus::PlanOptions plan;     // max_gap, barriers
    // protocol dlt645: the data identifiers instead of fields, serial and plan (all empty).
    dlt645::DataMap identifiers;
};

// Parses one profile file. Every problem is reported as "FILE:LINE: message"; all of them.
tl::expected<Profile, std::vector<std::string>> parse_profile(std::string_view text,
                                                              std::string_view file_name);

// The decoded value of a field from the registers it occupies, with scale and offset applied;
// nullopt where the meter says "not available" (NaN, or the all-ones pattern of an integer
// field that the profile marks as such).
std::optional<double> field_value(const Field& field, std::span<const uint16_t> regs);

// Read plan for a profile: spans of its fields (not the serial), grouped into blocks.
std::vector<modbus::Block> plan_reads(const Profile& profile);

}  // namespace sealwatch::profiles
