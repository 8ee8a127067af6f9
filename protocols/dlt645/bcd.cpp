#include "dlt645/bcd.hpp"

namespace sealwatch::dlt645 {

namespace {
constexpr size_t kMaxBytes = 8;  // 16 digits: within int64_t
constexpr uint8_t kSignBit = 0x80;
}  // namespace

std::optional<int64_t> decode_bcd(std::span<const uint8_t> low_first, bool is_signed) {
    if (low_first.empty() || low_first.size() > kMaxBytes) return std::nullopt;
    int64_t value = 0;
    bool negative = false;
    for (size_t i = low_first.size(); i-- > 0;) {
        uint8_t b = low_first[i];
        if (is_signed && i == low_first.size() - 1) {
            negative = (b & kSignBit) != 0;
            b = static_cast<uint8_t>(b & ~kSignBit);
        }
        const int64_t hi = b >> 4;
        const int64_t lo = b & 0x0F;
        if (hi > 9 || lo > 9) return std::nullopt;
        value = value * 100 + hi * 10 + lo;
    }
    return negative ? -value : value;
}

std::optional<std::vector<uint8_t>> encode_bcd(int64_t value, size_t bytes, bool is_signed) {
    if (bytes == 0 || bytes > kMaxBytes) return std::nullopt;
    if (value < 0 && !is_signed) return std::nullopt;
    const bool negative = value < 0;
    uint64_t magnitude =
        negative ? uint64_t(0) - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    std::vector<uint8_t> out(bytes);
    for (size_t i = 0; i < bytes; ++i) {
        out[i] = static_cast<uint8_t>((magnitude / 10 % 10) << 4 | magnitude % 10);
        magnitude /= 100;
    }
    // The sign bit takes the top digit's highest bit: that digit must stay below 8.
    if (magnitude != 0 || (is_signed && (out.back() & kSignBit) != 0)) return std::nullopt;
    if (negative) out.back() = static_cast<uint8_t>(out.back() | kSignBit);
    return out;
}

}  // namespace sealwatch::dlt645
