#pragma once
// DL/T 645-2007 frames as bytes on the line and back. Pure code, no I/O.
//
//   [FE x 0..4] 68 A0 A1 A2 A3 A4 A5 68 C L DATA... CS 16
//
// FE bytes wake a meter's receiver and carry nothing; the address is six BCD bytes, low byte
// first (AA..AA is the wildcard a lone meter answers); C is the control code; L the number of
// data bytes; every data byte travels +33H (so that a frame of zeros is not a line of zeros);
// CS is the byte sum, modulo 256, from the first 68H through the last data byte; 16H ends it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace sealwatch::dlt645 {

// A meter's address as the wire carries it: six BCD bytes, low byte first.
using Address = std::array<uint8_t, 6>;
inline constexpr Address kWildcard{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};

// "000012345678" (12 decimal digits, as printed on the meter's label, most significant first)
// into the wire's order, and back.
std::optional<Address> parse_address(std::string_view digits);
std::string to_string(const Address& address);

// Control codes: the function in bits 4..0; a reply sets bit 7, an error reply bit 6 too, and
// bit 5 says that a follow-up frame holds more of the answer.
namespace control {
inline constexpr uint8_t kBroadcastTime = 0x08;
inline constexpr uint8_t kRead = 0x11;
inline constexpr uint8_t kReadFollowUp = 0x12;
inline constexpr uint8_t kReadAddress = 0x13;
inline constexpr uint8_t kReplyBit = 0x80;
inline constexpr uint8_t kErrorBit = 0x40;
inline constexpr uint8_t kMoreBit = 0x20;
inline constexpr uint8_t kFunctionMask = 0x1F;
}  // namespace control

// One frame as meant: the address, the control code and the data without the +33H.
struct Frame {
    Address address{};
    uint8_t control = 0;
    std::vector<uint8_t> data;

    bool operator==(const Frame&) const = default;
};

// The standard bounds a read's data at 200 bytes; L is one byte, and nothing we read comes close.
inline constexpr size_t kMaxData = 200;
inline constexpr size_t kOverhead = 12;  // 68, 6 address bytes, 68, C, L, CS, 16
inline constexpr size_t kDefaultPreamble = 4;

// The bytes on the line: `preamble` FE bytes, then the frame. `frame.data` must not exceed
// kMaxData (the caller's bug otherwise: it is cut there).
std::vector<uint8_t> encode(const Frame& frame, size_t preamble = kDefaultPreamble);

enum class FrameProblem {
    truncated,     // ends before the frame does
    no_start,      // something other than FE before the first 68H
    bad_header,    // the second 68H is not where it belongs
    too_long,      // L beyond kMaxData
    bad_checksum,  // CS does not match
    no_end,        // the byte after CS is not 16H
    trailing,      // bytes after the frame: L does not match what arrived
};
std::string_view to_string(FrameProblem problem);

// Exactly one frame: FE bytes allowed before it, nothing else before or after it.
tl::expected<Frame, FrameProblem> decode(std::span<const uint8_t> bytes);

// Frames out of a byte stream that may carry line noise, half frames and garbage: whatever
// cannot start a valid frame is skipped (and counted), so the decoder falls back in step at the
// next 68H that starts one. FE preambles are skipped without counting.
class StreamDecoder {
  public:
    void feed(std::span<const uint8_t> bytes);
    // The next complete, valid frame; nullopt when the bytes so far hold none (yet).
    std::optional<Frame> next();
    void clear() { pending_.clear(); }

    size_t skipped() const { return skipped_; }  // bytes dropped as noise, ever
    size_t pending() const { return pending_.size(); }

  private:
    std::vector<uint8_t> pending_;
    size_t skipped_ = 0;
};

}  // namespace sealwatch::dlt645
