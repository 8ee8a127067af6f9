#pragma once
// A Modbus master over libmodbus, TCP or RTU. One Client per bus; not thread-safe (a bus is
// driven by one thread, strictly one request at a time). Errors come back as values.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <tl/expected.hpp>

#include "modbus/block_plan.hpp"

namespace sealwatch::modbus {

struct TcpLink {
    std::string host;
    int port = 502;
};

struct RtuLink {
    std::string device;
    int baud = 9600;
    char parity = 'N';  // 'N', 'E', 'O'
    int data_bits = 8;
    int stop_bits = 1;
    bool rs485_ioctl = false;  // kernel RS-485 mode (TIOCSRS485); fails on a pty or plain UART
};

struct LinkOptions {
    std::chrono::milliseconds response_timeout{1000};
    std::chrono::milliseconds byte_timeout{100};
    // Silence kept on the line after each transaction, on top of the t3.5 libmodbus keeps:
    // slow RS-485 converters and meters need time to turn the line around.
    std::chrono::milliseconds inter_frame_delay{0};
};

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

class Client {
  public:
    Client(std::variant<TcpLink, RtuLink> link, LinkOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects if not connected. Called by read() as needed; the caller owns backoff.
    tl::expected<void, ReadError> connect();
    void disconnect();
    bool connected() const;

    tl::expected<std::vector<uint16_t>, ReadError> read(int unit, Table table, uint16_t address,
                                                        uint16_t count);

    std::string describe() const;  // "tcp 127.0.0.1:502" or "rtu /dev/ttyS1 9600 8N1"

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sealwatch::modbus
