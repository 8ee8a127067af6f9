#pragma once
// A Modbus client (the master of a bus) as its users see it: read a block of registers of one
// unit, errors as values. Two implementations keep the same contract: LibmodbusClient over TCP
// or RTU (modbus/libmodbus_client.hpp) and a scripted fake for tests (tests/support/). One
// client per bus; not thread-safe (a bus is driven by one thread, strictly one request at a
// time).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "modbus/block_plan.hpp"

namespace sealwatch::modbus {

enum class ErrorKind {
    timeout,    // no (complete) answer in time: the meter is absent or too slow
    exception,  // the meter answered with a Modbus exception: alive, but refuses the request
    bad_frame,  // an answer came but was garbled (CRC, length, wrong unit or function)
    link,       // the connection or the serial port itself failed
};

struct ReadError {
    ErrorKind kind = ErrorKind::link;
    int exception_code = 0;  // for ErrorKind::exception: 1 illegal function, 2 illegal address...
    std::string message;
};

std::string_view to_string(ErrorKind kind);

// The contract every implementation keeps (tests/unit/test_modbus_contract.cpp checks both):
// - read() connects first when not connected; a failed connect is a `link` error.
// - After `timeout` or `exception` the client stays connected (the line is in step again);
//   after `link` it is disconnected and the next read() connects afresh; after `bad_frame` a
//   TCP client is disconnected too (its stream may be out of step).
// - A count outside 1..kMaxReadRegisters is refused as a `link` error without a request.
class Client {
  public:
    virtual ~Client() = default;

    // Connects if not connected. Called by read() as needed; the caller owns backoff.
    virtual tl::expected<void, ReadError> connect() = 0;
    virtual void disconnect() = 0;
    virtual bool connected() const = 0;

    virtual tl::expected<std::vector<uint16_t>, ReadError> read(int unit, Table table,
                                                                uint16_t address,
                                                                uint16_t count) = 0;

    virtual std::string describe() const = 0;  // "tcp 127.0.0.1:502", "rtu /dev/ttyS1 9600 8N1"
};

}  // namespace sealwatch::modbus
