#pragma once
// One Modbus RTU line (a serial device or a pty) serving several unit ids. libmodbus' RTU
// server answers only its own slave id, so we read the raw bytes ourselves (RtuFramer: length
// by function code, CRC check, silence for the rest), pick the meter by the frame's address
// byte, and let ReplyEncoder build the answer with modbus_reply(). A unit with no meter is
// silent, as on a real bus. libmodbus still opens and configures the port (termios).
#include <memory>
#include <string>

#include "common/error.hpp"
#include "sim/clock.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/stop.hpp"

using modbus_t = struct _modbus;

namespace sealwatch::sim {

class RtuServer {
  public:
    RtuServer(ListenerSpec spec, Simulation& sim, const SimClock& clock, const StopSignal& stop,
              bool verbose);
    ~RtuServer();
    RtuServer(const RtuServer&) = delete;
    RtuServer& operator=(const RtuServer&) = delete;

    Result<void> open();
    const ListenerSpec& spec() const { return spec_; }
    // Serves until the stop signal fires. If the device goes away (socat stopped), it says so
    // once and reopens it every second.
    void run();

  private:
    void close_port();
    int silence_ms() const;

    ListenerSpec spec_;
    Simulation& sim_;
    const SimClock& clock_;
    const StopSignal& stop_;
    bool verbose_;
    modbus_t* ctx_ = nullptr;
    int fd_ = -1;
};

}  // namespace sealwatch::sim
