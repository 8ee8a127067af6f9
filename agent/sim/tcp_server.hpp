#pragma once
// One Modbus TCP listener serving every meter assigned to it, to any number of clients at once
// (one poll loop, one thread). Requests are dispatched on the MBAP unit id; a unit with no
// meter gets exception 0x0B (gateway target device failed to respond), as a Modbus gateway
// answers. With RTU framing (ListenerSpec::rtu_over_tcp) it is a DTU instead: RTU frames with
// CRC, cut by their function code (RtuFramer), answered as on a serial line (sim/rtu_answer.hpp):
// a unit with no meter is silent. A drop_link fault closes the connection a request came on.
#include <cstdint>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "sim/clock.hpp"
#include "sim/pending.hpp"
#include "sim/reply_encoder.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/stop.hpp"

using modbus_t = struct _modbus;

namespace sealwatch::sim {

class TcpServer {
  public:
    TcpServer(ListenerSpec spec, Simulation& sim, const SimClock& clock, const StopSignal& stop,
              bool verbose);
    ~TcpServer();
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;

    // Binds and listens (port 0 picks a free one). Call before run().
    Result<void> open();
    uint16_t port() const { return port_; }
    const ListenerSpec& spec() const { return spec_; }
    std::string where() const;  // "tcp 127.0.0.1:502" or "rtu tcp 127.0.0.1:4001"
    // Serves until the stop signal fires. Never fails on what a client sends.
    void run();

  private:
    struct Client;
    void serve_rtu(size_t index, ReplyEncoder& encoder);
    void drop_link(size_t index);
    void send_now(int fd, const std::vector<uint8_t>& bytes);
    void close_client(size_t index);

    ListenerSpec spec_;
    Simulation& sim_;
    const SimClock& clock_;
    const StopSignal& stop_;
    bool verbose_;
    modbus_t* ctx_ = nullptr;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::vector<std::unique_ptr<Client>> clients_;
    PendingReplies pending_;  // slow_ms answers, per client fd
};

}  // namespace sealwatch::sim
