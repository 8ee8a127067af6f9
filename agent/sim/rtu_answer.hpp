#pragma once
// How a Modbus RTU listener answers one request frame, whatever carries it: a serial line
// (RtuServer) or a TCP connection from a master behind a DTU (TcpServer with RTU framing).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/reply_encoder.hpp"
#include "sim/simulation.hpp"

namespace sealwatch::sim {

struct RtuAnswer {
    std::optional<std::vector<uint8_t>> bytes;  // nullopt: silence, as on a real bus
    int delay_ms = 0;                           // slow_ms: send this much later
    bool drop_link = false;                     // drop_link: close the connection instead
};

// frame: one CRC-checked request (address .. CRC) as RtuFramer cut it. Logs each request when
// verbose, prefixed with `where` ("rtu /dev/pts/3", "rtu tcp dtu").
RtuAnswer answer_rtu(Simulation& sim, ReplyEncoder& encoder, const std::string& listener,
                     const std::string& where, std::span<const uint8_t> frame, double now,
                     bool verbose);

}  // namespace sealwatch::sim
