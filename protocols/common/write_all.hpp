#pragma once
// Writing one request whole to a non-blocking line: a serial device or a socket to a device
// server or DTU. The one write loop the DL/T 645 line and Modbus RTU over TCP share.
#include <chrono>
#include <cstdint>
#include <span>

#include "common/error.hpp"

namespace sealwatch {

// Writes all of `bytes`, waiting for room in the buffer until `deadline`. A socket the far end
// has closed is an error value ("Broken pipe"), never a SIGPIPE, whoever the caller is.
Result<void> write_all(int fd, std::span<const uint8_t> bytes,
                       std::chrono::steady_clock::time_point deadline);

}  // namespace sealwatch
