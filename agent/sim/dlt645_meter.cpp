#include "sim/dlt645_meter.hpp"

#include <algorithm>

#include "dlt645/bcd.hpp"
#include "dlt645/exchange.hpp"

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

std::optional<dlt645::Frame> dlt645_reply(const MeterSpec& spec, const profiles::Profile& profile,
                                          const dlt645::Address& address, const Values& values,
                                          const dlt645::Frame& request, double now) {
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
        if (std::find(c.ids.begin(), c.ids.end(), *id) == c.ids.end()) continue;
        return dlt645::value_reply(request, address,
                                   count_bytes(c, *id, event_count_at(spec, profile, c, now)));
    }
    return dlt645::error_reply(request, address, dlt645::error_bit::kNoSuchData);
}

}  // namespace sealwatch::sim
