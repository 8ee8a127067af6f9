#include "daemon/appliance.hpp"

#include <chrono>
#include <fstream>

#include "common/log.hpp"
#include "daemon/service_notify.hpp"
#include "model/event.hpp"

namespace sealwatch::daemon {

namespace {

constexpr const char* kAliveKey = "alive";
constexpr const char* kClockKey = "clock";
constexpr const char* kTamperKey = "tamper.open_id";
// A new boot with an unsynchronised clock: power_restored waits this long for NTP, then goes
// with what is known (estimate says so).
constexpr int64_t kPowerWaitSyncNs = int64_t{600} * 1000000000;
constexpr int64_t kClockCheckNs = 1000000000;

std::string read_boot_id() {
    std::ifstream f("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(f, id);
    return id;
}

}  // namespace

Result<std::unique_ptr<Appliance>> Appliance::open(const config::Config& cfg) {
    auto b = board::open(cfg.board.hw);
    if (!b) return tl::unexpected(b.error());
    for (const auto& note : b->notes) log::warning("board ", cfg.board.hw.name, ": ", note);
    for (const auto& dev : cfg.board.hw.rs485_devices) {
        if (auto r = board::enable_rs485(cfg.board.hw, dev); !r)
            log::warning("board ", cfg.board.hw.name, ": ", r.error().message);
        else
            log::info("board ", cfg.board.hw.name, ": ", dev, " in kernel RS-485 mode (RTS ",
                      cfg.board.hw.rs485_rts_on_send ? "on send" : "after send", ")");
    }
    log::info("board ", cfg.board.hw.name, ": watchdog ",
              b->watchdog->present() ? cfg.board.hw.watchdog_device + " (" +
                                           std::to_string(b->watchdog->timeout_s()) + " s)"
                                     : std::string("none"),
              ", tamper ", b->tamper->present() ? "yes" : "none", ", stall after ",
              cfg.board.stall_s, " s");
    return std::unique_ptr<Appliance>(new Appliance(cfg, std::move(*b)));
}

Appliance::Appliance(const config::Config& cfg, board::Board b)
    : gateway_(cfg.gateway.id),
      cfg_(cfg.board),
      board_(std::move(b)),
      health_(int64_t{cfg.board.stall_s} * 1000),
      clock_watch_(cfg.board.clock_jump_ms) {
    // Half the manager's timeout, as sd_watchdog_enabled(3) advises.
    if (auto w = service_notify::watchdog_timeout(); !w)
        log::warning("service manager watchdog: ", w.error().message, "; not notifying it");
    else if (*w)
        notify_every_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(**w).count() / 2;
    watchdog_reset_ = board_.watchdog->caused_last_reset();
}

Appliance::~Appliance() = default;

void Appliance::start(store::Store& store, int64_t boot, std::vector<Event>& out) {
    boot_ = boot;
    boot_id_ = read_boot_id();
    start_mono_ = board_.clock->mono_now_ns();
    synced_ = board_.clock->status().synchronized;
    synced_since_ = board_.clock->wall_now_ms();
    if (!synced_)
        log::warning(
            "clock: the wall clock is not synchronised (yet): readings are marked "
            "clock_unsynced until it is");
    clock_watch_.check(board_.clock->wall_now_ms(), start_mono_);
    if (watchdog_reset_) log::warning("board: the last reset was the hardware watchdog's");

    auto running = store.meta("running");
    bool unclean = running && *running && **running == "1";
    if (unclean) {
        std::optional<AliveStamp> last;
        if (auto a = store.meta(kAliveKey); a && *a) last = alive_from_json(**a);
        bool same_boot = last && last->boot_id == boot_id_;
        log::warning("the last run did not stop cleanly (",
                     same_boot ? "the process died" : "the gateway restarted", ")");
        pending_last_ = last;
        power_pending_ = true;
        if (same_boot || synced_) emit_pending_power(out);
    }
    // A tamper alarm raised before the restart stays the same alarm.
    if (auto t = store.meta(kTamperKey); t && *t) tamper_id_ = **t;
}

void Appliance::emit_pending_power(std::vector<Event>& out) {
    if (!power_pending_) return;
    power_pending_ = false;
    StartFacts s;
    s.mono_ns = start_mono_;
    s.wall_ms = start_wall(start_mono_, board_.clock->wall_now_ms(), board_.clock->mono_now_ns());
    s.boot_id = boot_id_;
    s.boot = boot_;
    s.clock_synced = synced_;
    s.watchdog_reset = watchdog_reset_;
    out.push_back(power_restored(gateway_, pending_last_, s, cfg_.alive_every_s));
}

void Appliance::ready() {
    notify("READY=1\nSTATUS=running");
    last_feed_ = 0;
}

void Appliance::reloading() {
    notify("RELOADING=1\nSTATUS=reloading the config");
}

void Appliance::on_link(const uplink::LinkNote& note) {
    MonoNs now = board_.clock->mono_now_ns();
    switch (note.kind) {
        case uplink::LinkNote::Kind::connected:
            linked_ = true;
            health_.link_connected(true, now);
            break;
        case uplink::LinkNote::Kind::disconnected:
        case uplink::LinkNote::Kind::refused:
            linked_ = false;
            health_.link_connected(false, now);
            break;
        case uplink::LinkNote::Kind::acked:
            health_.acked(now);
            break;
        case uplink::LinkNote::Kind::message:
            break;  // county commands say nothing about the link's health
    }
}

void Appliance::stored(bool ok) {
    health_.store_result(ok, board_.clock->mono_now_ns());
}

void Appliance::turn(store::Store& store, const Turn& t, std::vector<Event>& out) {
    MonoNs now = board_.clock->mono_now_ns();
    health_.buses(t.buses);
    health_.in_flight(t.in_flight, now);
    check_tamper(store, out);
    if (now - last_clock_check_ >= kClockCheckNs) {
        last_clock_check_ = now;
        check_clock(store, now, out);
    }
    if (power_pending_ && (synced_ || now - start_mono_ > kPowerWaitSyncNs))
        emit_pending_power(out);
    if (now - last_alive_ >= int64_t{cfg_.alive_every_s} * 1000000000) {
        AliveStamp a{board_.clock->wall_now_ms(), now, boot_id_, boot_, synced_};
        if (store.set_meta(kAliveKey, to_json(a))) last_alive_ = now;
    }

    auto problem = health_.problem(now);
    if (problem != unhealthy_) {
        if (problem)
            log::error("health: ", *problem, "; no longer feeding the watchdog");
        else if (unhealthy_)
            log::info("health: progress again; feeding the watchdog");
        unhealthy_ = problem;
    }
    if (!problem) feed(now);

    board::LedPattern want = t.stick ? *t.stick
                             : problem || !tamper_id_.empty() || t.alarm_open
                                 ? board::LedPattern::alarm
                             : linked_ ? board::LedPattern::ok
                                       : board::LedPattern::uplink_down;
    if (want != led_) {
        if (auto r = board_.led->show(want); r) led_ = want;
    }
}

void Appliance::feed(MonoNs now) {
    // The hardware watchdog at least once a second (its timeout is many seconds); systemd's at
    // half its WatchdogSec.
    if (now - last_feed_ < 1000000000) return;
    if (auto r = board_.watchdog->feed(); !r) log::warning("watchdog: ", r.error().message);
    if (notify_every_ns_ > 0) notify("WATCHDOG=1");
    last_feed_ = now;
}

void Appliance::check_tamper(store::Store& store, std::vector<Event>& out) {
    auto changes = board_.tamper->changes();
    if (!changes) return;  // a GPIO read error: the line stays as last known
    for (bool open : *changes) {
        WallMs now = board_.clock->wall_now_ms();
        if (open && tamper_id_.empty()) {
            Event e;
            e.type = "enclosure_open";
            e.state = EventState::raised;
            e.severity = Severity::critical;
            e.ts = e.started = now;
            e.id = gateway_ + ":enclosure_open:gateway:" + std::to_string(now);
            e.details["board"] = cfg_.hw.name;
            tamper_id_ = e.id;
            (void)store.set_meta(kTamperKey, tamper_id_);
            out.push_back(std::move(e));
        } else if (!open && !tamper_id_.empty()) {
            Event e;
            e.type = "enclosure_open";
            e.state = EventState::cleared;
            e.severity = Severity::critical;
            e.ts = now;
            e.started = now;
            e.id = tamper_id_;
            e.details["board"] = cfg_.hw.name;
            tamper_id_.clear();
            (void)store.set_meta(kTamperKey, "");
            out.push_back(std::move(e));
        }
    }
}

void Appliance::check_clock(store::Store& store, MonoNs now, std::vector<Event>& out) {
    auto info = board_.clock->status();
    WallMs wall = board_.clock->wall_now_ms();
    bool changed = info.synchronized != synced_ || last_clock_written_ == 0;
    if (info.synchronized != synced_) {
        // Logged once per change, as a fact about every reading until the next change: the
        // readings' timestamps may be off while it lasts, and their clock_unsynced says so.
        if (info.synchronized) {
            log::info(
                "clock: the wall clock is synchronised again; readings are no longer "
                "marked clock_unsynced");
        } else {
            log::warning(
                "clock: the wall clock is no longer synchronised; readings are marked "
                "clock_unsynced until it is again");
        }
        synced_ = info.synchronized;
        synced_since_ = wall;
    }
    if (auto jump = clock_watch_.check(wall, now)) {
        log::warning("clock: the wall clock jumped by ", *jump, " ms");
        out.push_back(clock_jump(gateway_, *jump, wall, synced_));
    }
    // For `sealwatch status`: written when it changes and with the alive stamp, not every
    // second (the flash card).
    if (!changed && now - last_clock_written_ < int64_t{cfg_.alive_every_s} * 1000000000) return;
    nlohmann::ordered_json j;
    j["synced"] = synced_.load();
    j["since"] = format_rfc3339(synced_since_);
    j["est_error_us"] = info.est_error_us;
    j["checked"] = format_rfc3339(wall);
    if (store.set_meta(kClockKey, j.dump())) last_clock_written_ = now;
}

void Appliance::notify(std::string_view text) {
    // Outside a service manager (no NOTIFY_SOCKET) this sends nothing and succeeds. A failure
    // is logged when it first happens or changes, not at every WATCHDOG=1 (once a second).
    auto r = service_notify::notify(text);
    if (r) {
        if (!notify_error_.empty()) log::info("service manager: notifying it works again");
        notify_error_.clear();
    } else if (r.error().message != notify_error_) {
        notify_error_ = r.error().message;
        log::warning("service manager: ", text.substr(0, text.find('\n')),
                     " not sent: ", notify_error_);
    }
}

void Appliance::stopping() {
    notify("STOPPING=1\nSTATUS=stopping");
    if (auto r = board_.watchdog->disarm(); !r) log::warning("watchdog: ", r.error().message);
    (void)board_.led->show(board::LedPattern::off);
}

}  // namespace sealwatch::daemon
