#pragma once
// The scenario file: which meters the simulator serves, where, and what they measure over
// simulated time. Format: docs/simulator.md. Parsing is pure (text in, values or located
// problems out); checking against the profile catalog and the listeners is a second step.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "profiles/profile.hpp"

namespace sealwatch::profiles {
class Catalog;
}

namespace sealwatch::sim {

inline constexpr double kForever = std::numeric_limits<double>::infinity();

struct ListenerSpec {
    enum class Kind { tcp, rtu };  // a TCP port, or a serial line (tty or pty)
    std::string id;
    Kind kind = Kind::tcp;
    // What it speaks: Modbus (TCP or RTU framing by kind) or DL/T 645 (the same frames on both).
    profiles::Protocol protocol = profiles::Protocol::modbus;
    // tcp and Modbus: RTU frames (CRC, no MBAP header) instead of Modbus TCP, as a serial device
    // server or a DTU in transparent mode carries them.
    bool rtu_over_tcp = false;
    std::string host = "127.0.0.1";  // tcp
    uint16_t port = 0;               // tcp; 0 = pick a free port
    std::string device;              // rtu
    int baud = 9600;
    char parity = 'N';  // 'N', 'E', 'O'
    int data_bits = 8;
    int stop_bits = 1;
    unsigned line = 0;  // where it was declared (0: command line)
};

// One step of the power program: from `at` on, hold `value` (step), or go linearly from
// whatever the power was at `at` to `value` within `over` seconds and hold it (ramp).
struct Segment {
    double at = 0.0;
    double value = 0.0;
    double over = 0.0;  // 0 = step
};

// Induction-furnace heats: ramp up to hold_w, hold, drop to 0, pause, again.
struct Heat {
    double start = 0.0;
    double ramp = 0.0;
    double hold_w = 0.0;
    double hold = 0.0;
    double drop = 0.0;
    double gap = 0.0;
    int repeat = 1;  // 0 = forever
    double period() const { return ramp + hold + drop + gap; }
};

// A misbehaviour within [from, until) of simulated time.
struct Fault {
    double from = -kForever;
    double until = kForever;
    bool no_answer = false;  // the link is dead; the meter still measures and counts
    bool offline = false;    // the meter is unpowered: silent, counters frozen
    bool corrupt = false;    // RTU: CRC bytes flipped; TCP: wrong transaction id
    int exception = 0;       // answer every request with this exception code (1..11)
    int slow_ms = 0;         // answer that many real milliseconds late
    // A meter whose power values lie while its energy registers count the truth (a tampered
    // or broken meter; contract: power_register_mismatch):
    bool freeze_power = false;         // power values stay as they were at `from`
    std::optional<double> report_p_w;  // power values as if the load drew this (0 = zeroed)
    // DL/T 645 meters only:
    bool garbage = false;        // line noise instead of each reply
    bool wrong_address = false;  // replies carry another meter's address
    // TCP listeners: a request to this meter closes the connection it came on instead of being
    // answered (a DTU dropping its link); on a serial line, silence.
    bool drop_link = false;
    unsigned line = 0;
};

// The meter's own event counter advancing by one at `at` (DL/T 645 meters): the first of the
// profile's event counts for `event` (or the one whose `what` is given) in the meter's family.
struct CountEvent {
    double at = 0.0;
    std::string event;  // meter_cover_opened, meter_power_loss, ...
    std::string what;   // empty: the first count of that event
    unsigned line = 0;
};

// Something that happens once, at `at`.
struct MeterEvent {
    enum class Kind { swap, counter_reset };
    Kind kind = Kind::swap;
    double at = 0.0;
    std::optional<uint64_t> serial;   // swap: the new meter's serial
    std::optional<double> e_imp_kwh;  // new counter values (default 0)
    std::optional<double> e_exp_kwh;
    unsigned line = 0;
};

// What the meter measures apart from power.
struct Electrical {
    std::array<double, 3> u_v{230.0, 230.0, 230.0};
    double f_hz = 50.0;
    double pf = 0.95;
    std::array<double, 3> thd_u_pct{1.5, 1.5, 1.5};
    double thd_i_pct = 4.0;        // THD-I with no heat running
    double thd_i_heat_pct = 28.0;  // THD-I while a heat runs (induction furnaces are dirty)
    std::array<double, 3> split{1.0, 1.0, 1.0};  // share of power per phase (relative)
    double noise_w = 0.0;                        // +- amplitude, changes every simulated second
};

struct MeterSpec {
    std::string id;
    int unit = 1;         // Modbus
    std::string address;  // DL/T 645: 12 digits, instead of the unit
    std::string
        event_family;  // DL/T 645: the event identifiers it has (empty: the profile's first)
    std::string profile;
    uint64_t serial = 0;
    std::vector<std::string> listeners;  // empty = every listener
    Electrical electrical;
    double e_imp_kwh = 0.0;
    double e_exp_kwh = 0.0;
    std::vector<Segment> program;  // sorted by `at`
    std::vector<Heat> heats;
    std::vector<Fault> faults;
    std::vector<MeterEvent> events;  // sorted by `at`
    std::vector<CountEvent> count_events;
    unsigned line = 0;
};

struct Scenario {
    std::string file;
    std::optional<double> speed;
    uint64_t seed = 1;
    std::vector<ListenerSpec> listeners;
    std::vector<MeterSpec> meters;
};

using Problems = std::vector<std::string>;

// Parses a scenario. Every problem is reported as "FILE:LINE: message"; all of them.
tl::expected<Scenario, Problems> parse_scenario(std::string_view text, std::string_view file_name);

// Reads and parses a file.
tl::expected<Scenario, Problems> load_scenario(const std::string& path);

// Cross checks once the listeners are final (command line merged in): profiles exist, listener
// ids exist, each meter's protocol is its listeners' and it has a unit or an address as that
// protocol needs, no two meters share a unit or an address on one listener, counted events
// and families exist in the profile.
Problems check_scenario(const Scenario& scenario, const profiles::Catalog& catalog);

// The event count a counted event advances: the first for `event` (whose `what` matches, when
// given) among those of `family` and those every meter has; nullptr when none.
const dlt645::EventCount* find_event_count(const dlt645::DataMap& map, std::string_view family,
                                           std::string_view event, std::string_view what);

// "HOST:PORT" (IPv6 as "[::1]:502"). nullopt when malformed.
std::optional<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text);

}  // namespace sealwatch::sim
