#include "sim/dlt645_meter.hpp"

#include <algorithm>
#include <cmath>

#include "dlt645/bcd.hpp"
#include "dlt645/exchange.hpp"
#include "dlt645/meter_time.hpp"

namespace sealwatch::sim {

namespace {

using dlt645::DataId;

// The bytes of one identifier of an event count: the count at the first count position of
// the first identifier (phase A of a per-phase set), zeros elsewhere.
std::vector<uint8_t> count_bytes(const dlt645::EventCount& c, DataId id, uint64_t count) {
    std::vector<uint8_t> out(c.bytes, 0);
    if (id != c.ids.front() || c.counts_at.empty()) return out;
    auto digits = dlt645::encode_bcd(static_cast<int64_t>(std::min<uint64_t>(count, 999999)),
                                     dlt645::kCountBytes, false);
    if (digits) std::copy(digits->begin(), digits->end(), out.begin() + c.counts_at.front());
    return out;
}

// The latest record of `count` at its record identifier `id`: the event's time at the
// profile's offset, zeros elsewhere (what the agent does not read); the phase A record holds
// the events of a per-phase count (as its count does), the others stay empty.
std::vector<uint8_t> record_bytes(const dlt645::EventCount& c, DataId id,
                                  std::optional<double> unix_s) {
    std::vector<uint8_t> out(size_t{c.record_time_at} + dlt645::kMeterTimeBytes, 0);
    if (id != c.records.front() || !unix_s) return out;
    const auto t =
        dlt645::encode_meter_time(dlt645::unix_to_local(static_cast<int64_t>(std::floor(*unix_s))));
    std::copy(t.begin(), t.end(), out.begin() + c.record_time_at);
    return out;
}

}  // namespace

std::string event_family(const MeterSpec& spec, const profiles::Profile& profile) {
    if (!spec.event_family.empty()) return spec.event_family;
    auto families = profile.identifiers.families();
    return families.empty() ? std::string() : families.front();
}

uint64_t event_count_at(const MeterSpec& spec, const profiles::Profile& profile,
                        const dlt645::EventCount& count, double now) {
    const std::string family = event_family(spec, profile);
    uint64_t n = 0;
    for (const CountEvent& e : spec.count_events)
        if (e.at <= now && find_event_count(profile.identifiers, family, e.event, e.what) == &count)
            ++n;
    return n;
}

std::optional<double> latest_event_at(const MeterSpec& spec, const profiles::Profile& profile,
                                      const dlt645::EventCount& count, double now) {
    const std::string family = event_family(spec, profile);
    std::optional<double> latest;
    for (const CountEvent& e : spec.count_events)
        if (e.at <= now && (!latest || e.at > *latest) &&
            find_event_count(profile.identifiers, family, e.event, e.what) == &count)
            latest = e.at;
    return latest;
}

std::optional<dlt645::Frame> dlt645_reply(const MeterSpec& spec, const profiles::Profile& profile,
                                          const dlt645::Address& address, const Values& values,
                                          const dlt645::Frame& request, double now,
                                          double clock_origin) {
    const uint8_t function = request.control & dlt645::control::kFunctionMask;
    if (function == dlt645::control::kReadAddress)
        return dlt645::value_reply(request, address, address);
    if (function != dlt645::control::kRead) return std::nullopt;
    const auto id = dlt645::requested_id(request);
    if (!id) return dlt645::error_reply(request, address, dlt645::error_bit::kOther);

    for (const dlt645::Field& f : profile.identifiers.fields) {
        if (f.id != *id) continue;
        auto v = values.find(f.quantity);
        if (v == values.end()) break;  // a quantity this meter does not measure
        return dlt645::value_reply(request, address, dlt645::encode_field(f, v->second));
    }
    const std::string family = event_family(spec, profile);
    for (const dlt645::EventCount& c : profile.identifiers.event_counts) {
        if (!c.family.empty() && c.family != family) continue;
        if (std::find(c.records.begin(), c.records.end(), *id) != c.records.end()) {
            const auto at = latest_event_at(spec, profile, c, now);
            return dlt645::value_reply(
                request, address,
                record_bytes(c, *id, at ? std::optional(clock_origin + *at) : std::nullopt));
        }
        if (std::find(c.ids.begin(), c.ids.end(), *id) == c.ids.end()) continue;
        return dlt645::value_reply(request, address,
                                   count_bytes(c, *id, event_count_at(spec, profile, c, now)));
    }
    return dlt645::error_reply(request, address, dlt645::error_bit::kNoSuchData);
}

}  // namespace sealwatch::sim
