#pragma once
// The boards sealwatch knows, by name, and what each one has: the defaults that a [board] table
// in the config starts from. Pure data, no I/O: the config parser validates against it and the
// daemon opens the hardware it names (board/board.hpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealwatch::board {

// A board's hardware, resolved: the catalog's defaults overlaid with the [board] keys.
struct Settings {
    std::string name = "generic";
    // Hardware watchdog device; "" = none. Fed from the agent's main loop only while polling,
    // storing and uplinking make progress.
    std::string watchdog_device = "/dev/watchdog";
    int watchdog_timeout_s = 30;
    // Enclosure tamper switch on a GPIO line (libgpiod); tamper_chip "" = none.
    std::string tamper_chip;
    int tamper_line = -1;
    bool tamper_active_low = false;  // false: the line reads high (1) when the enclosure is open
    // Status LED in /sys/class/leds/<led>; "" = none.
    std::string led;
    // Serial devices whose RS-485 transceiver direction is switched by the UART's RTS line: the
    // kernel's RS-485 mode (TIOCSRS485) is turned on for them at start.
    std::vector<std::string> rs485_devices;
    bool rs485_rts_on_send = true;  // RTS high while sending (most transceivers: DE active high)
    // Where an inspector's USB stick is mounted (docs/inspector.md); empty = no stick is
    // watched. The sim board's are relative to sim_dir, and present while the folder exists.
    std::vector<std::string> usb_mounts;
    // sim board: the folder holding its control and state files (owned by the test).
    std::string sim_dir;
};

struct CatalogEntry {
    std::string_view name;
    std::string_view description;
};

// Every known board, for docs and error messages.
inline constexpr CatalogEntry kBoards[] = {
    {"generic",
     "any ARM (or x86) Linux gateway: /dev/watchdog if present, no tamper switch, LED "
     "or RS-485 switching unless configured, USB sticks at /media/usb0../media/usb3"},
    {"rpi",
     "Raspberry Pi 3/4/CM4-based DIN-rail gateways: bcm2835 watchdog (15 s max), ACT "
     "LED, tamper switch on GPIO27, RS-485 direction by RTS on ttyAMA0, USB sticks at "
     "/media/usb0../media/usb3"},
    {"sim",
     "simulated board for tests: watchdog, tamper, LED, clock and RS-485 are files in "
     "sim_dir, a USB stick is the folder sim_dir/usb"},
};

// The defaults of a named board; nullopt for an unknown name.
inline std::optional<Settings> defaults(std::string_view name) {
    Settings s;
    s.name = std::string(name);
    // The mount points usbmount used and a udev rule or fstab line can keep using: one per port.
    s.usb_mounts = {"/media/usb0", "/media/usb1", "/media/usb2", "/media/usb3"};
    if (name == "generic") return s;
    if (name == "rpi") {
        // bcm2835_wdt cannot count longer than about 15 s.
        s.watchdog_timeout_s = 15;
        s.led = "ACT";
        s.tamper_chip = "gpiochip0";
        s.tamper_line = 27;
        // A microswitch held closed to GND by the shut lid, with the pull-up: open lid (or a
        // cut wire) reads high.
        s.tamper_active_low = false;
        s.rs485_devices = {"/dev/ttyAMA0"};
        return s;
    }
    if (name == "sim") {
        s.watchdog_device = "sim";
        s.watchdog_timeout_s = 10;
        s.tamper_chip = "sim";
        s.tamper_line = 0;
        s.led = "sim";
        s.usb_mounts = {"usb"};
        return s;
    }
    return std::nullopt;
}

inline std::string board_names() {
    std::string out;
    for (const auto& b : kBoards) out += (out.empty() ? "" : ", ") + std::string(b.name);
    return out;
}

}  // namespace sealwatch::board
