#pragma once
// Modbus RTU framing on the server side: requests arrive as a byte stream; a request ends
// where its function code says (or, for codes we do not know, at a silence on the line), and
// counts only if its CRC is right. Noise is skipped a byte at a time until a frame lines up.
// Pure: the caller feeds bytes and says when the line has been silent.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "modbus/rtu_frame.hpp"

namespace sealwatch::sim {

using modbus::rtu::crc16;  // the master's and the meters' CRC are one

// Length of the request at the start of buf, with CRC: > 0 the length, 0 need more bytes to
// tell, -1 a function code whose length only a silence can tell.
int rtu_request_length(std::span<const uint8_t> buf);

class RtuFramer {
  public:
    void feed(std::span<const uint8_t> bytes);
    // The next complete frame (address byte .. CRC), if any. `silence`: the line has been
    // quiet for longer than 3.5 characters, so whatever is buffered is all there is.
    std::optional<std::vector<uint8_t>> next(bool silence);
    bool empty() const { return buf_.empty(); }
    uint64_t discarded() const { return discarded_; }  // bytes dropped as noise

  private:
    std::vector<uint8_t> buf_;
    uint64_t discarded_ = 0;
};

}  // namespace sealwatch::sim
