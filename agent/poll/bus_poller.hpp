#pragma once
// Polling one bus: its meters one at a time per the Schedule, each read by the bus's
// MeterReader (Modbus or DL/T 645, poll/meter_reader.hpp) into canonical quantities, readings
// and health changes handed to a sink. No thread and no waiting of its own: BusThread
// (poll/bus_thread.hpp) runs it in real time; a test runs it on a fake client and a clock
// moved by hand.
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/quantities.hpp"
#include "config/config.hpp"
#include "dlt645/client.hpp"
#include "model/reading.hpp"
#include "poll/meter_reader.hpp"
#include "poll/schedule.hpp"

namespace sealwatch::poll {

// How often the identity register is read again after first contact, in polls: a swapped meter
// shows within this many polls (and always after the meter was offline).
inline constexpr uint64_t kSerialEveryPolls = 60;
// How soon a read of a meter's event counts that broke off is tried again (at most its
// event_counts_interval_s).
inline constexpr int64_t kCountsRetryS = 60;

std::vector<MeterPlan> plan_bus(const config::Config& cfg, const config::Bus& bus);
// The bus's real reader: libmodbus over TCP or RTU, or DL/T 645 over a serial line or TCP, with
// the bus's timeouts.
std::unique_ptr<MeterReader> make_reader(const config::Bus& bus);
// A dlt645 bus's line client, with the bus's timing: the reader's, and `sealwatch meter
// discover`'s.
std::unique_ptr<dlt645::Client> make_dlt645_client(const config::Bus& bus);

// What a poller hands on, in poll order; the sink is called on the thread that polls.
using PollOutput = std::variant<Reading, HealthChange, EventCounts>;
using Sink = std::function<void(PollOutput)>;

class BusPoller {
  public:
    // The schedule starts now (clock.mono_ns()). `reader` and `clock` outlive the poller.
    BusPoller(std::string bus_id, MeterReader& reader, std::vector<MeterPlan> meters, Sink out,
              const Clock& clock);

    // When the next poll is due (the clock's monotonic time); 0 when the bus has no meters.
    MonoNs next_due() const;
    // Polls the meter due first, now, and hands on its reading and any change of its health
    // (logged once, when it changes). Does nothing when the bus has no meters. When the
    // meter's own event counts are due (its event_counts_interval_s, at the first answer after
    // the start and after every offline spell) they are read right after, in the same turn.
    void poll_next();

    const std::string& bus_id() const { return bus_id_; }
    size_t meter_count() const { return meters_.size(); }
    // How many values of one meter were dropped so far because they were outside their
    // quantity's physical range (common/physical_range.hpp): a garbage register or a unit
    // mix-up, never a measurement. Logged once per change, per meter and quantity: when values
    // start to be dropped and when they are back in range. No event: see docs/security.md,
    // "Parsers" (a value no meter can measure says nothing about the plant; the quantity's
    // absence is visible in the readings, and the energy ledger judges the register).
    uint64_t out_of_range_values(size_t meter) const;

  private:
    // False (and counted, logged when it starts) when v cannot have been measured.
    bool physically_possible(size_t meter, size_t quantity, double v);
    void note_link(const MeterRead& result);
    void read_event_counts(size_t meter, MonoNs now);

    std::string bus_id_;
    MeterReader& reader_;
    std::vector<MeterPlan> meters_;
    Sink out_;
    const Clock& clock_;
    Schedule schedule_;
    std::vector<bool> need_serial_;
    // The bus's link (a TCP connection to a gateway, device server or DTU) failed and no poll
    // has got through since: logged once when lost and once when back, not at every poll.
    bool link_down_ = false;
    std::vector<MonoNs> counts_due_;  // 0: at the meter's next answer
    std::vector<EventCountMemory> count_memory_;
    std::vector<bool> counts_failing_;  // the last read of its counts broke off (logged once)
    struct OutOfRange {
        uint64_t dropped = 0;  // values dropped, ever
        bool now_out = false;  // the last value was dropped
    };
    std::vector<std::array<OutOfRange, kQuantities.size()>> out_of_range_;
};

}  // namespace sealwatch::poll
