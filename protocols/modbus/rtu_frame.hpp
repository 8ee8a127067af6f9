#pragma once
// Modbus RTU framing of a register read (function 3 or 4) for a master that gets its bytes as
// a stream with no silences to go by: RTU over TCP, where a serial device server or a 4G DTU
// carries the line's bytes in whatever TCP segments it likes, so the t3.5 gap that ends a
// frame on the wire is lost. A reply ends where its function code says (an exception after 5
// bytes, a data reply after 5 + its byte count), and counts only if its CRC is right.
//
// What arrives may hold more than our reply: noise from the RS-485 side, the late answer of a
// meter that timed out before (another unit, or ours to an earlier request), half a frame the
// DTU kept across a reconnect. The scanner skips what is not our reply a byte at a time, as
// the simulator's request framer (sim/rtu_frame.hpp) and the DL/T 645 stream decoder do, and
// says why the last candidate was refused, so a timeout after garbage is reported as such.
// Pure: bytes in, verdict out (the socket is modbus/rtu_tcp_client.cpp's).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "modbus/client.hpp"

namespace sealwatch::modbus::rtu {

inline constexpr size_t kRequestBytes = 8;  // unit, function, address(2), count(2), CRC(2)

// CRC-16/MODBUS (polynomial A001H reflected, initial FFFFH), sent low byte first.
uint16_t crc16(std::span<const uint8_t> bytes);

struct ReadRequest {
    uint8_t unit = 1;  // 1..247; 0 is broadcast, which no meter answers
    Table table = Table::holding;
    uint16_t address = 0;
    uint16_t count = 0;  // 1..kMaxReadRegisters
};

std::array<uint8_t, kRequestBytes> encode(const ReadRequest& request);

// The verdict on the bytes of one exchange so far: nullopt while our reply is not (yet) among
// them; else the registers, an `exception` error with the meter's code, or a bad_frame error.
using Verdict = tl::expected<std::vector<uint16_t>, ReadError>;

class ReplyScanner {
  public:
    explicit ReplyScanner(const ReadRequest& request) : request_(request) {}

    void feed(std::span<const uint8_t> bytes);
    std::optional<Verdict> next();

    // Why the last frame-like thing was not our reply ("bad CRC", "answer from unit 7, ..."),
    // empty when nothing was refused.
    const std::string& rejected() const { return rejected_; }
    // A frame with our unit and function failed its CRC: most likely our reply, garbled, so
    // waiting the whole response timeout for another one is pointless.
    bool saw_garbled_reply() const { return garbled_; }
    size_t skipped() const { return skipped_; }  // bytes dropped as noise or foreign frames
    size_t pending() const { return buf_.size(); }

  private:
    enum class Fit { need_more, not_a_frame, bad_crc, frame };
    Fit fit_at(size_t at, size_t& length) const;
    std::optional<Verdict> judge(std::span<const uint8_t> frame);
    void skip(size_t n);

    ReadRequest request_;
    std::vector<uint8_t> buf_;
    std::string rejected_;
    bool garbled_ = false;
    size_t skipped_ = 0;
};

}  // namespace sealwatch::modbus::rtu
