#include "board/board.hpp"

#include "src/parts.hpp"

namespace sealwatch::board {

const char* to_string(LedPattern pattern) {
    switch (pattern) {
        case LedPattern::off:
            return "off";
        case LedPattern::ok:
            return "ok";
        case LedPattern::uplink_down:
            return "uplink_down";
        case LedPattern::alarm:
            return "alarm";
        case LedPattern::stick_busy:
            return "stick_busy";
        case LedPattern::stick_done:
            return "stick_done";
        case LedPattern::stick_refused:
            return "stick_refused";
    }
    return "?";
}

Result<Board> open(const Settings& settings) {
    if (settings.name == "sim") return detail::open_sim(settings);
    Board b;
    b.settings = settings;
    b.clock = detail::linux_clock();
    b.sticks = settings.usb_mounts.empty() ? detail::null_stick_watch()
                                           : detail::linux_stick_watch(settings.usb_mounts);
    if (!settings.watchdog_device.empty()) {
        auto w = detail::open_linux_watchdog(settings.watchdog_device, settings.watchdog_timeout_s);
        if (w) {
            b.watchdog = std::move(*w);
        } else {
            b.notes.push_back(w.error().message +
                              "; no hardware watchdog (systemd's WatchdogSec still guards the "
                              "process)");
        }
    }
    if (!settings.tamper_chip.empty()) {
        auto t = detail::open_gpio_tamper(settings.tamper_chip, settings.tamper_line,
                                          settings.tamper_active_low);
        if (t) {
            b.tamper = std::move(*t);
        } else {
            b.notes.push_back(t.error().message + "; no tamper switch");
        }
    }
    if (!settings.led.empty()) {
        auto l = detail::open_sysfs_led(settings.led);
        if (l) {
            b.led = std::move(*l);
        } else {
            b.notes.push_back(l.error().message + "; no status LED");
        }
    }
    if (!b.watchdog) b.watchdog = detail::null_watchdog();
    if (!b.tamper) b.tamper = detail::null_tamper();
    if (!b.led) b.led = detail::null_led();
    return b;
}

Result<void> enable_rs485(const Settings& settings, const std::string& device) {
    if (settings.name == "sim") return detail::sim_enable_rs485(settings.sim_dir, device);
    return detail::linux_enable_rs485(device, settings.rs485_rts_on_send);
}

}  // namespace sealwatch::board
