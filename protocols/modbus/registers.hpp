#pragma once
// Turning Modbus registers into numbers and back. Pure functions, no I/O.
//
// A register is 16 bits as libmodbus hands it over: the first byte on the wire is the high byte.
// Multi-register values come in every order meters use; we name them by the letters of the
// value's bytes as they appear on the wire (A = most significant):
//   32-bit: ABCD (big-endian, high word first), CDAB (low word first), BADC, DCBA
//   64-bit: ABCDEFGH, GHEFCDAB (low word first), BADCFEHG, HGFEDCBA
// which reduces to two independent switches: word_swap (low word first) and byte_swap (the two
// bytes of every register exchanged).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sealwatch::modbus {

enum class ValueType { u16, i16, u32, i32, u64, i64, f32, f64 };

struct Encoding {
    ValueType type = ValueType::u16;
    bool word_swap = false;  // low word first (CDAB, GHEFCDAB)
    bool byte_swap = false;  // bytes within each register exchanged (BADC)
};

// Registers a value of this type occupies: 1, 2 or 4.
int register_count(ValueType type);

// The raw value (before scale/offset). regs must hold at least register_count(type) words.
// Floats that are NaN or infinite come back as they are; the caller decides what they mean.
double decode(std::span<const uint16_t> regs, const Encoding& enc);

// The value's bits in host order, right-aligned (16, 32 or 64 of them), after word_swap and
// byte_swap: what a "not available" pattern is compared against (e.g. 0xFFC00000 for a f32 NaN).
uint64_t raw_bits(std::span<const uint16_t> regs, const Encoding& enc);

// The inverse of decode, for the simulator and tests. Integers are rounded and clamped to the
// type's range.
void encode(double value, const Encoding& enc, std::span<uint16_t> out);

// "u16", "i16", "u32", "i32", "u64", "i64", "f32" (or "float32"), "f64" (or "float64").
std::optional<ValueType> parse_value_type(std::string_view text);
std::string_view to_string(ValueType type);

// "ABCD" / "CDAB" / "BADC" / "DCBA" (and the 64-bit spellings, and "AB"/"BA" for 16-bit);
// fills word_swap and byte_swap. Returns false for anything else or a length that does not
// fit the type.
bool parse_byte_order(std::string_view text, Encoding& enc);

}  // namespace sealwatch::modbus
