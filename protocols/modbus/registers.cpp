#include "modbus/registers.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace sealwatch::modbus {

namespace {

uint16_t swap_bytes(uint16_t w) {
    return static_cast<uint16_t>((w << 8) | (w >> 8));
}

// Word i of the value in most-significant-first order, taken from the registers as they came.
// word_swap and byte_swap are both involutions, so the same mapping serves encode.
uint16_t word_at(std::span<const uint16_t> regs, std::size_t n, std::size_t i,
                 const Encoding& enc) {
    uint16_t w = regs[enc.word_swap ? n - 1 - i : i];
    return enc.byte_swap ? swap_bytes(w) : w;
}

template <typename Int>
Int clamp_round(double value) {
    if (std::isnan(value)) return 0;
    double r = std::nearbyint(value);
    // 2^digits is exact in a double; comparing against it avoids converting an out-of-range
    // double, which is undefined behaviour.
    constexpr double upper =
        2.0 * static_cast<double>(uint64_t{1} << (std::numeric_limits<Int>::digits - 1));
    if (r >= upper) return std::numeric_limits<Int>::max();
    if (r < static_cast<double>(std::numeric_limits<Int>::min())) {
        return std::numeric_limits<Int>::min();
    }
    return static_cast<Int>(r);
}

}  // namespace

int register_count(ValueType type) {
    switch (type) {
        case ValueType::u16:
        case ValueType::i16:
            return 1;
        case ValueType::u32:
        case ValueType::i32:
        case ValueType::f32:
            return 2;
        case ValueType::u64:
        case ValueType::i64:
        case ValueType::f64:
            return 4;
    }
    return 1;
}

uint64_t raw_bits(std::span<const uint16_t> regs, const Encoding& enc) {
    const auto n = static_cast<std::size_t>(register_count(enc.type));
    if (regs.size() < n) return 0;
    uint64_t bits = 0;
    for (std::size_t i = 0; i < n; ++i) bits = (bits << 16) | word_at(regs, n, i, enc);
    return bits;
}

double decode(std::span<const uint16_t> regs, const Encoding& enc) {
    const uint64_t bits = raw_bits(regs, enc);
    switch (enc.type) {
        case ValueType::u16:
            return static_cast<double>(static_cast<uint16_t>(bits));
        case ValueType::i16:
            return static_cast<double>(static_cast<int16_t>(static_cast<uint16_t>(bits)));
        case ValueType::u32:
            return static_cast<double>(static_cast<uint32_t>(bits));
        case ValueType::i32:
            return static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(bits)));
        case ValueType::u64:
            return static_cast<double>(bits);
        case ValueType::i64:
            return static_cast<double>(static_cast<int64_t>(bits));
        case ValueType::f32:
            return static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(bits)));
        case ValueType::f64:
            return std::bit_cast<double>(bits);
    }
    return 0.0;
}

void encode(double value, const Encoding& enc, std::span<uint16_t> out) {
    const auto n = static_cast<std::size_t>(register_count(enc.type));
    if (out.size() < n) return;
    uint64_t bits = 0;
    switch (enc.type) {
        case ValueType::u16:
            bits = clamp_round<uint16_t>(value);
            break;
        case ValueType::i16:
            bits = static_cast<uint16_t>(clamp_round<int16_t>(value));
            break;
        case ValueType::u32:
            bits = clamp_round<uint32_t>(value);
            break;
        case ValueType::i32:
            bits = static_cast<uint32_t>(clamp_round<int32_t>(value));
            break;
        case ValueType::u64:
            bits = clamp_round<uint64_t>(value);
            break;
        case ValueType::i64:
            bits = static_cast<uint64_t>(clamp_round<int64_t>(value));
            break;
        case ValueType::f32:
            bits = std::bit_cast<uint32_t>(static_cast<float>(value));
            break;
        case ValueType::f64:
            bits = std::bit_cast<uint64_t>(value);
            break;
    }
    for (std::size_t i = 0; i < n; ++i) {
        // Word i counted from the most significant one.
        auto w = static_cast<uint16_t>(bits >> (16 * (n - 1 - i)));
        if (enc.byte_swap) w = swap_bytes(w);
        out[enc.word_swap ? n - 1 - i : i] = w;
    }
}

std::optional<ValueType> parse_value_type(std::string_view text) {
    struct Name {
        std::string_view text;
        ValueType type;
    };
    static constexpr Name names[] = {
        {"u16", ValueType::u16},     {"i16", ValueType::i16},     {"u32", ValueType::u32},
        {"i32", ValueType::i32},     {"u64", ValueType::u64},     {"i64", ValueType::i64},
        {"f32", ValueType::f32},     {"float32", ValueType::f32}, {"f64", ValueType::f64},
        {"float64", ValueType::f64},
    };
    for (const auto& n : names)
        if (n.text == text) return n.type;
    return std::nullopt;
}

std::string_view to_string(ValueType type) {
    switch (type) {
        case ValueType::u16:
            return "u16";
        case ValueType::i16:
            return "i16";
        case ValueType::u32:
            return "u32";
        case ValueType::i32:
            return "i32";
        case ValueType::u64:
            return "u64";
        case ValueType::i64:
            return "i64";
        case ValueType::f32:
            return "f32";
        case ValueType::f64:
            return "f64";
    }
    return "?";
}

bool parse_byte_order(std::string_view text, Encoding& enc) {
    struct Order {
        std::string_view text;
        bool word_swap;
        bool byte_swap;
    };
    static constexpr Order orders[] = {
        {"AB", false, false},       {"BA", false, true},       {"ABCD", false, false},
        {"CDAB", true, false},      {"BADC", false, true},     {"DCBA", true, true},
        {"ABCDEFGH", false, false}, {"GHEFCDAB", true, false}, {"BADCFEHG", false, true},
        {"HGFEDCBA", true, true},
    };
    if (text.size() != static_cast<std::size_t>(register_count(enc.type)) * 2) return false;
    for (const auto& o : orders) {
        if (o.text == text) {
            enc.word_swap = o.word_swap;
            enc.byte_swap = o.byte_swap;
            return true;
        }
    }
    return false;
}

}  // namespace sealwatch::modbus
