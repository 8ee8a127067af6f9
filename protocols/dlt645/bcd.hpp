#pragma once
// DL/T 645 values: packed BCD, two digits a byte, sent low byte first. Signed values (currents,
// powers, power factors) keep their sign in the top bit of the most significant byte, the
// rest of the digits being the magnitude. Pure functions.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sealwatch::dlt645 {

// The integer the digits spell (the caller applies the decimal point). nullopt for an empty or
// over-long (more than 8 bytes) span and for a nibble that is not a decimal digit: meters send
// FF.. for a value they do not have.
std::optional<int64_t> decode_bcd(std::span<const uint8_t> low_first, bool is_signed);

// The inverse, in `bytes` bytes low byte first; nullopt if the value does not fit (or is
// negative for an unsigned field).
std::optional<std::vector<uint8_t>> encode_bcd(int64_t value, size_t bytes, bool is_signed);

}  // namespace sealwatch::dlt645
