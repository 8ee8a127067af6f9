#pragma once
// The byte lines DL/T 645 runs over: a serial device set raw (termios) or a TCP connection to
// a transparent device server or DTU (common/tcp_connect.hpp). File descriptors, non-blocking;
// the caller closes them.
#include <chrono>
#include <string>

#include "common/error.hpp"

namespace sealwatch::dlt645 {

struct SerialSettings {
    std::string device;
    int baud = 2400;    // the standard's default, with even parity: 2400 8E1
    char parity = 'E';  // 'N', 'E', 'O'
    int data_bits = 8;
    int stop_bits = 1;
};
std::string describe(const SerialSettings& s);  // "/dev/ttyS1 2400 8E1"

Result<int> open_serial(const SerialSettings& settings);

// Time one byte takes on a serial line (start, data, parity, stop bits).
std::chrono::microseconds byte_time(const SerialSettings& settings);

}  // namespace sealwatch::dlt645
