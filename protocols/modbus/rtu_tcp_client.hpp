#pragma once
// Modbus RTU over TCP: RTU frames, CRC and all, over a TCP connection to a serial device server
// or a 4G DTU in transparent mode, which puts our bytes on its RS-485 line and sends back what
// comes from it. libmodbus has no such backend (its TCP speaks MBAP, its RTU a tty), so the
// frames are ours (modbus/rtu_frame.hpp) and so is the socket.
//
// The modbus::Client contract holds as for Modbus TCP: connects on read(), stays connected
// after a timeout or an exception, starts afresh after a bad frame (a DTU may keep half a frame
// in its buffer) and after a link error. A DTU that dropped the link while the bus was idle is
// found out before the request goes (the socket reads as closed) and reconnected at once, so
// a routine drop costs no reading; a DTU that stays away is the caller's to back off from.
#include <chrono>
#include <string>

#include "modbus/client.hpp"
#include "modbus/libmodbus_client.hpp"
#include "modbus/rtu_frame.hpp"

namespace sealwatch::modbus {

struct RtuTcpLink {
    std::string host;
    int port = 0;
};

class RtuTcpClient final : public Client {
  public:
    // options: response_timeout from the request to the first byte of the answer (the DTU's
    // own relaying included), byte_timeout the longest silence inside an answer, and
    // inter_frame_delay the silence kept after each answer before the next request (the RS-485
    // side's turnaround: the DTU forwards at once, the line behind it may not be ready).
    RtuTcpClient(RtuTcpLink link, LinkOptions options);
    ~RtuTcpClient() override;
    RtuTcpClient(const RtuTcpClient&) = delete;
    RtuTcpClient& operator=(const RtuTcpClient&) = delete;

    tl::expected<void, ReadError> connect() override;
    void disconnect() override;
    bool connected() const override { return fd_ >= 0; }
    tl::expected<std::vector<uint16_t>, ReadError> read(int unit, Table table, uint16_t address,
                                                        uint16_t count) override;
    std::string describe() const override;  // "rtu tcp 10.0.0.7:4001"

  private:
    tl::expected<void, ReadError> send(std::span<const uint8_t> bytes);
    bool drain_input();
    rtu::Verdict exchange(const rtu::ReadRequest& request);

    RtuTcpLink link_;
    LinkOptions options_;
    int fd_ = -1;
    std::chrono::steady_clock::time_point quiet_until_{};
};

}  // namespace sealwatch::modbus
