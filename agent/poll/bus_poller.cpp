#include "poll/bus_poller.hpp"

#include <algorithm>
#include <chrono>
#include <variant>

#include "common/instrument_ratios.hpp"
#include "common/log.hpp"
#include "common/physical_range.hpp"
#include "common/quantities.hpp"
#include "dlt645/line_client.hpp"
#include "modbus/libmodbus_client.hpp"
#include "modbus/rtu_tcp_client.hpp"
#include "poll/dlt645_reader.hpp"
#include "poll/modbus_reader.hpp"

namespace sealwatch::poll {

std::vector<MeterPlan> plan_bus(const config::Config& cfg, const config::Bus& bus) {
    std::vector<MeterPlan> plans;
    for (const auto& m : cfg.meters) {
        if (m.bus != bus.id) continue;
        const auto* profile = cfg.profiles.find(m.profile);
        if (!profile) continue;  // config validation has already reported it
        plans.push_back({m, *profile, profiles::plan_reads(*profile),
                         dlt645::parse_address(m.address).value_or(dlt645::kWildcard)});
    }
    return plans;
}

std::unique_ptr<dlt645::Client> make_dlt645_client(const config::Bus& bus) {
    dlt645::Timing t;
    t.response_timeout = std::chrono::milliseconds(bus.timeout_ms);
    t.byte_timeout = std::chrono::milliseconds(bus.byte_timeout_ms);
    t.inter_frame_delay = std::chrono::milliseconds(bus.inter_frame_ms);
    std::variant<dlt645::SerialSettings, dlt645::TcpSettings> line;
    if (bus.device.empty())
        line = dlt645::TcpSettings{bus.host, bus.port};
    else
        line =
            dlt645::SerialSettings{bus.device, bus.baud, bus.parity, bus.data_bits, bus.stop_bits};
    return std::make_unique<dlt645::LineClient>(line, t);
}

std::unique_ptr<MeterReader> make_reader(const config::Bus& bus) {
    if (bus.kind == config::BusKind::dlt645)
        return std::make_unique<Dlt645Reader>(make_dlt645_client(bus));
    modbus::LinkOptions opts;
    opts.response_timeout = std::chrono::milliseconds(bus.timeout_ms);
    opts.byte_timeout = std::chrono::milliseconds(bus.byte_timeout_ms);
    opts.inter_frame_delay = std::chrono::milliseconds(bus.inter_frame_ms);
    if (bus.kind == config::BusKind::tcp)
        return std::make_unique<ModbusReader>(
            std::make_unique<modbus::LibmodbusClient>(modbus::TcpLink{bus.host, bus.port}, opts));
    if (bus.device.empty())  // RTU frames over TCP, to a device server or DTU
        return std::make_unique<ModbusReader>(
            std::make_unique<modbus::RtuTcpClient>(modbus::RtuTcpLink{bus.host, bus.port}, opts));
    return std::make_unique<ModbusReader>(std::make_unique<modbus::LibmodbusClient>(
        modbus::RtuLink{bus.device, bus.baud, bus.parity, bus.data_bits, bus.stop_bits,
                        bus.rs485_ioctl},
        opts));
}

namespace {

std::vector<MeterTiming> timings(const std::vector<MeterPlan>& meters) {
    std::vector<MeterTiming> out;
    out.reserve(meters.size());
    for (const auto& m : meters)
        out.push_back(
            {m.meter.id, m.meter.interval_ms, m.meter.offline_after, m.meter.backoff_max_ms});
    return out;
}

}  // namespace

BusPoller::BusPoller(std::string bus_id, MeterReader& reader, std::vector<MeterPlan> meters,
                     Sink out, const Clock& clock)
    : bus_id_(std::move(bus_id)),
      reader_(reader),
      meters_(std::move(meters)),
      out_(std::move(out)),
      clock_(clock),
      schedule_(timings(meters_), clock.mono_ns()),
      need_serial_(meters_.size(), true),
      counts_due_(meters_.size(), 0),
      count_memory_(meters_.size()),
      counts_failing_(meters_.size(), false),
      out_of_range_(meters_.size()) {}

MonoNs BusPoller::next_due() const {
    return meters_.empty() ? 0 : schedule_.next().due;
}

bool BusPoller::physically_possible(size_t meter, size_t quantity, double v) {
    auto& range_state = out_of_range_[meter][quantity];
    const auto& range = kPhysicalRanges[quantity];
    const auto& id = meters_[meter].meter.id;
    if (within_physical_range(quantity, v)) {
        // Logged once per change: a meter whose register holds garbage would otherwise log at
        // every poll, and a register that recovers says so once.
        if (range_state.now_out) {
            range_state.now_out = false;
            log::info("meter ", id, " on bus ", bus_id_, ": ", range.quantity,
                      " is within its physical range again");
        }
        return true;
    }
    ++range_state.dropped;
    if (!range_state.now_out) {
        range_state.now_out = true;
        log::warning("meter ", id, " on bus ", bus_id_, ": ", range.quantity, " = ", v,
                     " is outside its physical range [", range.min, ", ", range.max,
                     "]; such values are dropped (logged again when it is back in range)");
    }
    return false;
}

uint64_t BusPoller::out_of_range_values(size_t meter) const {
    uint64_t n = 0;
    for (const auto& range_state : out_of_range_.at(meter)) n += range_state.dropped;
    return n;
}

void BusPoller::note_link(const MeterRead& result) {
    // The next poll connects afresh (the client's contract); the meters' own schedules, with
    // their backoff once offline, pace the tries, so a DTU that stays away is not hammered.
    if (result.link_failed && !link_down_) {
        link_down_ = true;
        log::warning("bus ", bus_id_, ": lost the link to ", reader_.describe(), " (",
                     result.reason, "); reconnecting at the next polls (logged again when back)");
    } else if (link_down_ && result.outcome != Outcome::failed) {
        link_down_ = false;
        log::info("bus ", bus_id_, ": the link to ", reader_.describe(), " is back");
    }
}

void BusPoller::poll_next() {
    if (meters_.empty()) return;
    const auto next = schedule_.next();
    const auto& s = schedule_.stats(next.meter);
    bool with_serial = need_serial_[next.meter] || (s.polls % kSerialEveryPolls) == 0;
    MonoNs started = clock_.mono_ns();
    Reading reading;
    reading.meter = meters_[next.meter].meter.id;
    reading.wall_ms = clock_.wall_ms();
    reading.mono_ns = started;
    MeterRead result = reader_.read(meters_[next.meter], with_serial);
    // The one place where secondary values become primary ones (common/instrument_ratios.hpp):
    // the readers decode what the meter says, and nothing after this scales again.
    const InstrumentRatios& ratios = meters_[next.meter].meter.ratios;
    reading.ratios = ratios;
    for (const QuantityValue& v : result.values) {
        if (v.quantity >= kQuantities.size()) continue;
        const double primary = primary_value(v.quantity, v.value, ratios);
        // Whatever the protocol, a value no meter can measure is a bad read, not a reading.
        // Judged on the primary value: the physical ranges bound what a plant can carry (a
        // 110 kV feeder's 63.5 kV per phase is in range, common/physical_range.hpp), and this is
        // the value detection, store and uplink would see. Judged on the secondary value, an
        // absurd register behind a 1000:1 transformer would pass and reach them 1000 times
        // larger; a check of the secondary scale itself would need the transformer's rated
        // secondary (1 A, 5 A, 100 V), which the config does not give.
        if (physically_possible(next.meter, v.quantity, primary))
            reading.values.push_back({v.quantity, primary});
    }
    reading.serial = std::move(result.serial);
    if (result.outcome != Outcome::failed && with_serial) need_serial_[next.meter] = false;
    if (result.outcome == Outcome::failed) need_serial_[next.meter] = true;
    note_link(result);
    auto change =
        schedule_.record(next.meter, result.outcome, started, reading.wall_ms, result.reason);
    const bool back_online = change && change->health == MeterHealth::online;
    if (change) {
        const auto& id = meters_[next.meter].meter.id;
        if (change->health == MeterHealth::online)
            log::info("meter ", id, " on bus ", bus_id_, " is online again");
        else
            log::warning("meter ", id, " on bus ", bus_id_, " is ", to_string(change->health), ": ",
                         change->reason);
        out_(std::move(*change));
    }
    if (!reading.values.empty() || reading.serial) out_(std::move(reading));
    // After an offline spell at once: what the meter recorded while it was silent (a power-down,
    // an opened cover) is the first thing to know.
    if (back_online) counts_due_[next.meter] = 0;
    if (result.outcome != Outcome::failed && clock_.mono_ns() >= counts_due_[next.meter])
        read_event_counts(next.meter, clock_.mono_ns());
}

void BusPoller::read_event_counts(size_t meter, MonoNs now) {
    const MeterPlan& plan = meters_[meter];
    if (plan.profile.identifiers.event_counts.empty()) return;  // a profile without counts
    EventCounts counts{plan.meter.id, clock_.wall_ms(), now, {}, {}};
    EventCountRead read = reader_.read_event_counts(plan, count_memory_[meter]);
    constexpr MonoNs kSecond = 1'000'000'000;
    if (read.outcome == Outcome::failed) {
        // The meter's health is the polls' to judge. Tried again soon, not at every poll: a
        // meter that keeps silent at one count would otherwise cost the bus a timeout each time.
        counts_due_[meter] =
            now + std::min<int64_t>(kCountsRetryS, plan.meter.event_counts_interval_s) * kSecond;
        if (!counts_failing_[meter])
            log::warning("meter ", plan.meter.id, " on bus ", bus_id_,
                         ": reading its event counts broke off (", read.reason,
                         "); retrying (logged again when they are read)");
        counts_failing_[meter] = true;
        return;
    }
    if (counts_failing_[meter])
        log::info("meter ", plan.meter.id, " on bus ", bus_id_,
                  ": its event counts are read again");
    counts_failing_[meter] = false;
    counts_due_[meter] = now + int64_t{plan.meter.event_counts_interval_s} * kSecond;
    for (const std::string& note : read.notes)
        log::info("meter ", plan.meter.id, " on bus ", bus_id_, ": ", note);
    counts.family = std::move(read.family);
    counts.counts = std::move(read.counts);
    out_(std::move(counts));
}

}  // namespace sealwatch::poll
