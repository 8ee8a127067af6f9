#include "poll/bus_poller.hpp"

#include <chrono>
#include <cmath>

#include "common/log.hpp"
#include "common/physical_range.hpp"
#include "modbus/libmodbus_client.hpp"

namespace sealwatch::poll {

std::vector<MeterPlan> plan_bus(const config::Config& cfg, const config::Bus& bus) {
    std::vector<MeterPlan> plans;
    for (const auto& m : cfg.meters) {
        if (m.bus != bus.id) continue;
        const auto* profile = cfg.profiles.find(m.profile);
        if (!profile) continue;  // config validation has already reported it
        plans.push_back({m, *profile, profiles::plan_reads(*profile)});
    }
    return plans;
}

std::unique_ptr<modbus::Client> make_client(const config::Bus& bus) {
    modbus::LinkOptions opts;
    opts.response_timeout = std::chrono::milliseconds(bus.timeout_ms);
    opts.byte_timeout = std::chrono::milliseconds(bus.byte_timeout_ms);
    opts.inter_frame_delay = std::chrono::milliseconds(bus.inter_frame_ms);
    if (bus.kind == config::BusKind::tcp)
        return std::make_unique<modbus::LibmodbusClient>(modbus::TcpLink{bus.host, bus.port}, opts);
    return std::make_unique<modbus::LibmodbusClient>(
        modbus::RtuLink{bus.device, bus.baud, bus.parity, bus.data_bits, bus.stop_bits,
                        bus.rs485_ioctl},
        opts);
}

namespace {

std::string describe(const modbus::ReadError& e) {
    std::string s(modbus::to_string(e.kind));
    if (e.kind == modbus::ErrorKind::exception) s += " " + std::to_string(e.exception_code);
    return s + " (" + e.message + ")";
}

std::string serial_text(double v) {
    if (std::isfinite(v) && v >= 0 && v < 1e18 && v == std::floor(v))
        return std::to_string(static_cast<long long>(v));
    return std::to_string(v);
}

}  // namespace

namespace {

std::vector<MeterTiming> timings(const std::vector<MeterPlan>& meters) {
    std::vector<MeterTiming> out;
    for (const auto& m : meters)
        out.push_back(
            {m.meter.id, m.meter.interval_ms, m.meter.offline_after, m.meter.backoff_max_ms});
    return out;
}

}  // namespace

BusPoller::BusPoller(std::string bus_id, modbus::Client& client, std::vector<MeterPlan> meters,
                     Sink out, const Clock& clock)
    : bus_id_(std::move(bus_id)),
      client_(client),
      meters_(std::move(meters)),
      out_(std::move(out)),
      clock_(clock),
      schedule_(timings(meters_), clock.mono_ns()),
      need_serial_(meters_.size(), true),
      out_of_range_(meters_.size()) {}

MonoNs BusPoller::next_due() const {
    return meters_.empty() ? 0 : schedule_.next().due;
}

BusPoller::PollResult BusPoller::poll_meter(size_t i, bool with_serial) {
    const auto& plan = meters_[i];
    PollResult result{Outcome::ok, {}, {}};
    Reading& r = result.reading;
    r.meter = plan.meter.id;
    r.wall_ms = clock_.wall_ms();
    r.mono_ns = clock_.mono_ns();

    bool any_answer = false;
    for (const auto& block : plan.blocks) {
        auto regs = client_.read(plan.meter.unit, block.table, block.address, block.count);
        if (!regs) {
            const auto& e = regs.error();
            result.reason = describe(e);
            if (e.kind != modbus::ErrorKind::exception) {
                result.outcome = Outcome::failed;
                r.values.clear();
                return result;
            }
            // The meter refused this block (profile mismatch?): it is alive; keep the rest.
            result.outcome = Outcome::refused;
            continue;
        }
        any_answer = true;
        for (const auto& field : plan.profile.fields) {
            if (field.table != block.table) continue;
            int n = modbus::register_count(field.encoding.type);
            if (field.address < block.address || field.address + n > block.address + block.count)
                continue;
            auto v = profiles::field_value(
                field, std::span<const uint16_t>(regs->data() + (field.address - block.address),
                                                 static_cast<size_t>(n)));
            // Profiles are validated against the same list, so the lookup does not miss.
            auto q = find_quantity(field.quantity);
            if (v && q && physically_possible(i, *q, *v))
                r.values.push_back({static_cast<uint8_t>(*q), *v});
        }
    }
    if (with_serial && plan.profile.serial) {
        const auto& f = *plan.profile.serial;
        auto n = static_cast<uint16_t>(modbus::register_count(f.encoding.type));
        auto regs = client_.read(plan.meter.unit, f.table, f.address, n);
        if (regs) {
            if (auto v = profiles::field_value(f, *regs)) r.serial = serial_text(*v);
        } else if (regs.error().kind != modbus::ErrorKind::exception) {
            result.outcome = Outcome::failed;
            result.reason = describe(regs.error());
            return result;
        }
    }
    if (!any_answer && result.outcome == Outcome::refused) r.values.clear();
    return result;
}

bool BusPoller::physically_possible(size_t meter, size_t quantity, double v) {
    if (within_physical_range(quantity, v)) return true;
    // Logged once per meter and quantity: a meter whose register holds garbage would otherwise
    // log at every poll. The count stays readable (out_of_range_values).
    if (out_of_range_[meter][quantity]++ == 0) {
        const auto& range = kPhysicalRanges[quantity];
        log::warning("meter ", meters_[meter].meter.id, " on bus ", bus_id_, ": ", range.quantity,
                     " = ", v, " is outside its physical range [", range.min, ", ", range.max,
                     "]; such values are dropped (logged once per meter and quantity)");
    }
    return false;
}

uint64_t BusPoller::out_of_range_values(size_t meter) const {
    uint64_t n = 0;
    for (auto count : out_of_range_.at(meter)) n += count;
    return n;
}

void BusPoller::poll_next() {
    if (meters_.empty()) return;
    const auto next = schedule_.next();
    const auto& s = schedule_.stats(next.meter);
    bool with_serial = need_serial_[next.meter] || (s.polls % kSerialEveryPolls) == 0;
    MonoNs started = clock_.mono_ns();
    auto result = poll_meter(next.meter, with_serial);
    if (result.outcome != Outcome::failed && with_serial) need_serial_[next.meter] = false;
    if (result.outcome == Outcome::failed) need_serial_[next.meter] = true;
    auto change = schedule_.record(next.meter, result.outcome, started, result.reading.wall_ms,
                                   result.reason);
    if (change) {
        const auto& id = meters_[next.meter].meter.id;
        if (change->health == MeterHealth::online)
            log::info("meter ", id, " on bus ", bus_id_, " is online again");
        else
            log::warning("meter ", id, " on bus ", bus_id_, " is ", to_string(change->health), ": ",
                         change->reason);
        out_(std::move(*change));
    }
    if (!result.reading.values.empty() || result.reading.serial) out_(std::move(result.reading));
}

}  // namespace sealwatch::poll
