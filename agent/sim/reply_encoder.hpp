#pragma once
// Builds answer frames with libmodbus' own modbus_reply()/modbus_reply_exception(), but into a
// buffer instead of onto the line, so the simulator can delay or garble them and one slow
// meter never holds up the others. libmodbus writes to the context's socket; here that socket
// is one end of a private socketpair whose other end we read back.
//
// Why this is sound (libmodbus 3.1.6, src/modbus.c): modbus_reply() takes the slave/unit and
// the transaction id from the request bytes it is given, not from the context, and does no
// slave filtering (that happens only in modbus_receive()'s integrity check, which we bypass by
// framing requests ourselves). Its "flush" on some exceptions would discard pending input on
// the real line; on the private socket it discards nothing.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/error.hpp"

using modbus_t = struct _modbus;
using modbus_mapping_t = struct _modbus_mapping_t;

namespace sealwatch::sim {

class ReplyEncoder {
  public:
    enum class Framing { rtu, tcp };
    static Result<std::unique_ptr<ReplyEncoder>> create(Framing framing);
    ~ReplyEncoder();
    ReplyEncoder(const ReplyEncoder&) = delete;
    ReplyEncoder& operator=(const ReplyEncoder&) = delete;

    // request: one complete request frame (RTU: address .. CRC; TCP: MBAP header + PDU).
    // A read (FC03/FC04) answered with words from `address` on.
    Result<std::vector<uint8_t>> registers(std::span<const uint8_t> request, uint16_t address,
                                           std::span<const uint16_t> words);
    Result<std::vector<uint8_t>> exception(std::span<const uint8_t> request, int code);

  private:
    ReplyEncoder() = default;
    Result<std::vector<uint8_t>> collect(int rc);

    modbus_t* ctx_ = nullptr;
    modbus_mapping_t* mapping_ = nullptr;
    int write_fd_ = -1;  // libmodbus writes here
    int read_fd_ = -1;   // we read the frame back here
};

}  // namespace sealwatch::sim
