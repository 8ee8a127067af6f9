#include "sim/simulation.hpp"

#include <algorithm>

#include "dlt645/exchange.hpp"
#include "sim/dlt645_meter.hpp"
#include "sim/faults.hpp"
#include "sim/register_image.hpp"

namespace sealwatch::sim {

Simulation::Meter Simulation::make_meter(const MeterSpec& spec, const profiles::Catalog& catalog,
                                         double start) const {
    const profiles::Profile* profile = catalog.find(spec.profile);
    return Meter{MeterModel(spec, seed_, start), profile ? *profile : profiles::Profile{},
                 default_listeners(spec)};
}

std::vector<std::string> Simulation::default_listeners(const MeterSpec& spec) const {
    if (!spec.listeners.empty()) return spec.listeners;
    const auto protocol =
        spec.address.empty() ? profiles::Protocol::modbus : profiles::Protocol::dlt645;
    std::vector<std::string> out;
    for (const auto& [id, p] : all_listeners_)
        if (p == protocol) out.push_back(id);
    return out;
}

Simulation::Simulation(const Scenario& scenario, const profiles::Catalog& catalog,
                       double clock_origin)
    : seed_(scenario.seed), clock_origin_(clock_origin) {
    for (auto& l : scenario.listeners) all_listeners_.emplace_back(l.id, l.protocol);
    for (auto& spec : scenario.meters) meters_.push_back(make_meter(spec, catalog, 0.0));
}

void Simulation::reload(const Scenario& scenario, const profiles::Catalog& catalog, double now) {
    std::lock_guard lock(mu_);
    std::vector<Meter> next;
    for (auto& spec : scenario.meters) {
        auto it = std::find_if(meters_.begin(), meters_.end(),
                               [&](const Meter& m) { return m.model.spec().id == spec.id; });
        if (it == meters_.end()) {
            next.push_back(make_meter(spec, catalog, now));
            continue;
        }
        Meter m = std::move(*it);
        m.model.respec(spec, now);
        if (const profiles::Profile* p = catalog.find(spec.profile)) m.profile = *p;
        m.listeners = default_listeners(spec);
        next.push_back(std::move(m));
    }
    meters_ = std::move(next);
}

Decision Simulation::answer(std::string_view listener, const Request& request, double now) {
    std::lock_guard lock(mu_);
    Decision d;
    auto it = std::find_if(meters_.begin(), meters_.end(), [&](const Meter& m) {
        return m.model.spec().address.empty() && m.model.spec().unit == request.unit &&
               std::find(m.listeners.begin(), m.listeners.end(), listener) != m.listeners.end();
    });
    if (it == meters_.end()) {
        d.kind = Decision::Kind::unknown_unit;
        return d;
    }
    Meter& meter = *it;
    d.meter = meter.model.spec().id;
    meter.model.advance(now);
    ActiveFaults faults = active_faults(meter.model.spec().faults, now);
    d.delay_ms = faults.slow_ms;
    d.corrupt = faults.corrupt;
    d.drop_link = faults.drop_link;
    if (faults.silent || faults.drop_link) {
        d.kind = Decision::Kind::silent;
        return d;
    }
    d.kind = Decision::Kind::exception;
    if (faults.exception != 0) {
        d.exception = faults.exception;
        return d;
    }
    if (request.function != 3 && request.function != 4) {
        d.exception = kIllegalFunction;
        return d;
    }
    if (!request.well_formed) {
        d.exception = kIllegalDataValue;
        return d;
    }
    RegisterImage image =
        RegisterImage::render(meter.profile, meter.model.values(now), meter.model.serial());
    auto table = request.function == 4 ? modbus::Table::input : modbus::Table::holding;
    int code = image.read(table, request.address, request.count, d.words);
    if (code != 0) {
        d.exception = code;
        return d;
    }
    d.kind = Decision::Kind::registers;
    return d;
}

namespace {

// Line noise: bytes that start no frame (no 68H), different at every call.
std::vector<uint8_t> noise(uint64_t& state) {
    std::vector<uint8_t> out(24);
    for (auto& b : out) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        b = static_cast<uint8_t>(state >> 56);
        if (b == 0x68) b = 0x69;
    }
    return out;
}

}  // namespace

Dlt645Decision Simulation::answer_dlt645(std::string_view listener, const dlt645::Frame& request,
                                         double now) {
    std::lock_guard lock(mu_);
    Dlt645Decision d;
    std::vector<Meter*> here;  // the DL/T 645 meters this request reaches
    for (Meter& m : meters_) {
        const auto& spec = m.model.spec();
        if (spec.address.empty() ||
            std::find(m.listeners.begin(), m.listeners.end(), listener) == m.listeners.end())
            continue;
        if (request.address == dlt645::kWildcard ||
            dlt645::parse_address(spec.address) == request.address)
            here.push_back(&m);
    }
    if (here.empty()) return d;
    if (here.size() > 1) {
        // Every meter on the line answers the wildcard at once: what arrives is noise.
        d.kind = Dlt645Decision::Kind::garbage;
        d.bytes = noise(noise_state_);
        return d;
    }
    Meter& meter = *here.front();
    const MeterSpec& spec = meter.model.spec();
    d.meter = spec.id;
    meter.model.advance(now);
    const ActiveFaults faults = active_faults(spec.faults, now);
    d.delay_ms = faults.slow_ms;
    if (faults.silent) {
        d.kind = Dlt645Decision::Kind::silent;
        return d;
    }
    if (faults.garbage) {
        d.kind = Dlt645Decision::Kind::garbage;
        d.bytes = noise(noise_state_);
        return d;
    }
    dlt645::Address address = dlt645::parse_address(spec.address).value_or(dlt645::kWildcard);
    std::optional<dlt645::Frame> reply;
    if (faults.exception != 0)
        reply = dlt645::error_reply(request, address, dlt645::error_bit::kOther);
    else
        reply = dlt645_reply(spec, meter.profile, address, meter.model.values(now), request, now,
                             clock_origin_);
    if (!reply) {
        d.kind = Dlt645Decision::Kind::silent;
        return d;
    }
    // Another meter's address: the lowest digit changed (still a valid BCD address).
    if (faults.wrong_address) reply->address[0] ^= 0x01;
    d.kind = Dlt645Decision::Kind::reply;
    d.bytes = dlt645::encode(*reply);
    if (faults.corrupt) d.bytes[d.bytes.size() - 2] ^= 0xFF;  // the checksum
    return d;
}

std::vector<std::string> Simulation::describe() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& m : meters_) {
        const auto& spec = m.model.spec();
        std::string line = "meter " + spec.id +
                           (spec.address.empty() ? " unit " + std::to_string(spec.unit)
                                                 : " address " + spec.address) +
                           " profile " + m.profile.id + " serial " +
                           std::to_string(m.model.serial()) + " on ";
        for (size_t i = 0; i < m.listeners.size(); ++i) line += (i ? "," : "") + m.listeners[i];
        out.push_back(std::move(line));
    }
    return out;
}

Values Simulation::values(std::string_view meter_id, double now) {
    std::lock_guard lock(mu_);
    for (auto& m : meters_) {
        if (m.model.spec().id != meter_id) continue;
        m.model.advance(now);
        return m.model.values(now);
    }
    return {};
}

}  // namespace sealwatch::sim
