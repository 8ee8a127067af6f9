#pragma once
// The Modbus client over libmodbus, TCP or RTU: the real implementation of modbus::Client.
#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "modbus/client.hpp"

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

class LibmodbusClient final : public Client {
  public:
    LibmodbusClient(std::variant<TcpLink, RtuLink> link, LinkOptions options);
    ~LibmodbusClient() override;
    LibmodbusClient(const LibmodbusClient&) = delete;
    LibmodbusClient& operator=(const LibmodbusClient&) = delete;

    tl::expected<void, ReadError> connect() override;
    void disconnect() override;
    bool connected() const override;
    tl::expected<std::vector<uint16_t>, ReadError> read(int unit, Table table, uint16_t address,
                                                        uint16_t count) override;
    std::string describe() const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sealwatch::modbus
