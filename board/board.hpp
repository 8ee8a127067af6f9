#pragma once
// Gateway hardware behind small interfaces, one real (Linux) and one sim implementation each:
// the hardware watchdog, the enclosure tamper switch, the status LED, the wall clock and its
// synchronisation state, RS-485 direction control, the mount points of an inspector's USB stick.
// Library code: no logging; failures come back as values and the caller logs once.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board/catalog.hpp"
#include "common/error.hpp"

namespace sealwatch::board {

class Watchdog {
  public:
    virtual ~Watchdog() = default;
    virtual Result<void> feed() = 0;
    // A deliberate stop: the watchdog is disarmed (magic close). Never called on a crash or a
    // hung loop, so those end in a reset.
    virtual Result<void> disarm() = 0;
    virtual bool present() const = 0;
    // The last reset was the watchdog's (WDIOF_CARDRESET), where the driver can tell.
    virtual bool caused_last_reset() const = 0;
    virtual int timeout_s() const = 0;
};

class TamperInput {
  public:
    virtual ~TamperInput() = default;
    // Every state seen since the last call, oldest first (true = enclosure open). Edges are
    // latched by the kernel, so a short opening between two calls is not lost.
    virtual Result<std::vector<bool>> changes() = 0;
    // The state now.
    virtual Result<bool> open() = 0;
    virtual bool present() const = 0;
};

// The last three are an inspector's USB stick (docs/inspector.md): being written (do not pull),
// written and synced (safe to pull), nothing written (refused or failed; safe to pull).
enum class LedPattern { off, ok, uplink_down, alarm, stick_busy, stick_done, stick_refused };
const char* to_string(LedPattern pattern);

class StatusLed {
  public:
    virtual ~StatusLed() = default;
    // Sets the pattern; the blinking itself is the kernel's (LED timer trigger), so a busy or
    // hung main loop does not change what the LED shows, only a new call does.
    virtual Result<void> show(LedPattern pattern) = 0;
};

struct ClockInfo {
    bool synchronized = false;  // the kernel's view (adjtimex): an NTP daemon disciplines it
    int64_t est_error_us = -1;  // estimated error, -1 unknown
};

class Clock {
  public:
    virtual ~Clock() = default;
    virtual int64_t wall_now_ms() = 0;
    virtual int64_t mono_now_ns() = 0;
    virtual ClockInfo status() = 0;
};

// The mount points where an inspector's USB stick appears ([board] usb_mounts). Mounting is the
// system's business (a udev rule, systemd-mount, fstab's x-systemd.automount); this only says
// which declared mount points have a filesystem on them now.
class StickWatch {
  public:
    virtual ~StickWatch() = default;
    // The declared mount points with a stick on them now, in the order declared.
    virtual Result<std::vector<std::string>> mounted() = 0;
    // Called between the pieces written to a stick. The sim board plays a slow stick here (so a
    // test can pull it halfway); real boards return at once.
    virtual void pace_write() {}
};

// An opened board. Every part is present (a null implementation where the board has none).
struct Board {
    Settings settings;
    std::unique_ptr<Watchdog> watchdog;
    std::unique_ptr<TamperInput> tamper;
    std::unique_ptr<StatusLed> led;
    std::unique_ptr<Clock> clock;
    std::unique_ptr<StickWatch> sticks;
    // What could not be opened and was replaced by a null part (for the caller to log).
    std::vector<std::string> notes;
};

// Opens what `settings` names. Fails only if nothing sensible can run (e.g. the sim board
// without its folder); a missing watchdog or GPIO line becomes a note and a null part.
Result<Board> open(const Settings& settings);

// Turns on the kernel's RS-485 mode for a serial device (the UART drives the transceiver's
// direction with RTS). Fails on a pty or a UART without RS-485 support.
Result<void> enable_rs485(const Settings& settings, const std::string& device);

}  // namespace sealwatch::board
