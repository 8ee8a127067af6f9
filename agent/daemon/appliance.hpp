#pragma once
// The agent as a gateway appliance: the board (hardware watchdog, tamper switch, status LED,
// clock), systemd (READY, WATCHDOG, STOPPING), unclean-stop detection (power_restored), clock
// jumps (clock_jump) and the enclosure (enclosure_open). The main loop owns one and calls it at
// the points named below; it never blocks for long (a few small writes at most).
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "board/board.hpp"
#include "config/config.hpp"
#include "daemon/health.hpp"
#include "daemon/power.hpp"
#include "model/event.hpp"
#include "store/store.hpp"
#include "uplink/mqtt_link.hpp"

namespace sealwatch::daemon {

class Appliance {
  public:
    // Opens the board named in the config (and RS-485 mode on its serial devices). Logs what it
    // could not open; fails only when the board cannot work at all.
    static Result<std::unique_ptr<Appliance>> open(const config::Config& cfg);
    ~Appliance();

    // Before the store's "running" flag is set: an unclean last stop gives power_restored
    // (at once, or once the wall clock is synchronised, see power.hpp).
    void start(store::Store& store, int64_t boot, std::vector<Event>& out);
    // The agent is up: systemd READY=1.
    void ready();
    void reloading();
    // Every main-loop turn: tamper, clock, alive stamp, health -> watchdogs, LED.
    struct Turn {
        std::vector<std::pair<std::string, MonoNs>> buses;  // BusThread::due_ns
        size_t in_flight = 0;
        bool alarm_open = false;
        // An inspector's USB stick being handled (StickDesk::led): shown instead of the rest.
        std::optional<board::LedPattern> stick;
    };
    void turn(store::Store& store, const Turn& t, std::vector<Event>& out);
    void on_link(const uplink::LinkNote& note);
    void stored(bool ok);
    // Whether the wall clock is synchronised (NTP or an RTC), as last seen by turn(). The bus
    // threads read it (clock_synced_flag) to stamp each reading's clock state at its poll.
    bool clock_synced() const { return synced_.load(std::memory_order_relaxed); }
    const std::atomic<bool>& clock_synced_flag() const { return synced_; }
    // A deliberate stop: STOPPING=1, the hardware watchdog disarmed, LED off.
    void stopping();
    // The board's USB mount points, for the StickDesk that watches them (once).
    std::unique_ptr<board::StickWatch> take_stick_watch() { return std::move(board_.sticks); }

  private:
    explicit Appliance(const config::Config& cfg, board::Board b);
    void feed(MonoNs now);
    void notify(std::string_view text);  // to the service manager (service_notify.hpp)
    void check_tamper(store::Store& store, std::vector<Event>& out);
    void check_clock(store::Store& store, MonoNs now, std::vector<Event>& out);
    void emit_pending_power(std::vector<Event>& out);

    std::string gateway_;
    config::Board cfg_;
    board::Board board_;
    Health health_;
    ClockWatch clock_watch_;
    std::atomic<bool> synced_{false};
    WallMs synced_since_ = 0;  // when the clock's state (synchronised or not) was first seen
    bool linked_ = false;
    std::string boot_id_;
    int64_t boot_ = 0;
    MonoNs start_mono_ = 0;
    MonoNs last_alive_ = 0;
    MonoNs last_feed_ = 0;
    MonoNs last_clock_check_ = 0;
    MonoNs last_clock_written_ = 0;
    int64_t notify_every_ns_ = 0;  // systemd's WatchdogSec / 2; 0: systemd does not watch
    std::string notify_error_;     // the last notify failure logged; empty: the last one worked
    std::optional<std::string> unhealthy_;
    // power_restored waiting for the wall clock (new boot, clock not yet synchronised)
    std::optional<AliveStamp> pending_last_;
    bool power_pending_ = false;
    bool watchdog_reset_ = false;
    std::string tamper_id_;  // the open enclosure_open alarm's id
    std::optional<board::LedPattern> led_;
};

}  // namespace sealwatch::daemon
