#pragma once
// One DL/T 645 listener: a serial line (a tty or one end of a socat pty pair) or a TCP port (as
// a transparent DTU offers it), serving every DL/T 645 meter assigned to it. Bytes go through
// the same stream decoder the agent uses, so noise and torn frames are skipped; a frame for an
// address with no meter gets silence, as on a real bus. One poll loop, one thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "dlt645/frame.hpp"
#include "sim/clock.hpp"
#include "sim/pending.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/stop.hpp"

namespace sealwatch::sim {

class Dlt645Server {
  public:
    Dlt645Server(ListenerSpec spec, Simulation& sim, const SimClock& clock, const StopSignal& stop,
                 bool verbose);
    ~Dlt645Server();
    Dlt645Server(const Dlt645Server&) = delete;
    Dlt645Server& operator=(const Dlt645Server&) = delete;

    // Opens the serial line, or binds and listens (port 0 picks a free one). Call before run().
    Result<void> open();
    uint16_t port() const { return port_; }
    const ListenerSpec& spec() const { return spec_; }
    std::string where() const;  // "dlt645 /dev/pts/3" or "dlt645 tcp 127.0.0.1:4001"
    // Serves until the stop signal fires. A serial line that goes away is reopened every second.
    void run();

  private:
    struct Peer {
        int fd = -1;
        dlt645::StreamDecoder decoder;
    };
    Result<void> open_serial_line();
    Result<void> listen_tcp();
    void on_bytes(Peer& peer);
    void close_peer(size_t index);

    ListenerSpec spec_;
    Simulation& sim_;
    const SimClock& clock_;
    const StopSignal& stop_;
    bool verbose_;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::vector<std::unique_ptr<Peer>> peers_;  // the serial line, or the TCP clients
    PendingReplies pending_;
};

}  // namespace sealwatch::sim
