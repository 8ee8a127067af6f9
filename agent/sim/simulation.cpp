#include "sim/simulation.hpp"

#include <algorithm>

#include "sim/faults.hpp"
#include "sim/register_image.hpp"

namespace sealwatch::sim {

Simulation::Meter Simulation::make_meter(const MeterSpec& spec, const profiles::Catalog& catalog,
                                         double start) const {
    const profiles::Profile* profile = catalog.find(spec.profile);
    std::vector<std::string> listeners = spec.listeners.empty() ? all_listeners_ : spec.listeners;
    return Meter{MeterModel(spec, seed_, start), profile ? *profile : profiles::Profile{},
                 std::move(listeners)};
}

Simulation::Simulation(const Scenario& scenario, const profiles::Catalog& catalog)
    : seed_(scenario.seed) {
    for (auto& l : scenario.listeners) all_listeners_.push_back(l.id);
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
        m.listeners = spec.listeners.empty() ? all_listeners_ : spec.listeners;
        next.push_back(std::move(m));
    }
    meters_ = std::move(next);
}

Decision Simulation::answer(std::string_view listener, const Request& request, double now) {
    std::lock_guard lock(mu_);
    Decision d;
    auto it = std::find_if(meters_.begin(), meters_.end(), [&](const Meter& m) {
        return m.model.spec().unit == request.unit &&
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
    if (faults.silent) {
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

std::vector<std::string> Simulation::describe() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& m : meters_) {
        std::string line = "meter " + m.model.spec().id + " unit " +
                           std::to_string(m.model.spec().unit) + " profile " + m.profile.id +
                           " serial " + std::to_string(m.model.serial()) + " on ";
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
