#pragma once
// A TCP connection to a device server or DTU, made without blocking the bus thread longer than
// the caller allows: the one connect that DL/T 645 lines and Modbus RTU over TCP share.
#include <chrono>
#include <string>

#include "common/error.hpp"

namespace sealwatch {

// A connected, non-blocking, close-on-exec socket with TCP_NODELAY (a request is one small
// write that must leave at once), or "HOST:PORT: why". The caller closes it.
Result<int> connect_tcp(const std::string& host, int port, std::chrono::milliseconds timeout);

}  // namespace sealwatch
