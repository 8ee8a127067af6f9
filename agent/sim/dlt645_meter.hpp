#pragma once
// What a simulated DL/T 645 meter says to one request: its measured values at the identifiers
// of its profile, its own event counts as the scenario scripts them, an error reply "no such
// data" for anything else (the identifiers of the event family it does not implement, too).
// The latest record of a scripted event holds its time on the meter's clock, which shows
// `clock_origin` (Unix seconds) at simulated time 0, as local time. Pure: values and time come
// in, a frame goes out.
#include <optional>

#include "dlt645/frame.hpp"
#include "profiles/profile.hpp"
#include "sim/meter_model.hpp"
#include "sim/scenario.hpp"

namespace sealwatch::sim {

// The family of event identifiers a meter implements: the spec's, or the profile's first.
std::string event_family(const MeterSpec& spec, const profiles::Profile& profile);

// How far `count` has advanced by time `now`: the scripted count events that land on it.
uint64_t event_count_at(const MeterSpec& spec, const profiles::Profile& profile,
                        const dlt645::EventCount& count, double now);

// When the latest scripted event on `count` happened by time `now` (simulated); nullopt if none.
std::optional<double> latest_event_at(const MeterSpec& spec, const profiles::Profile& profile,
                                      const dlt645::EventCount& count, double now);

// The reply of meter `spec` (at `address`) to `request`, which is addressed to it; nullopt for
// a request a meter does not answer (a broadcast, a function it lacks).
std::optional<dlt645::Frame> dlt645_reply(const MeterSpec& spec, const profiles::Profile& profile,
                                          const dlt645::Address& address, const Values& values,
                                          const dlt645::Frame& request, double now,
                                          double clock_origin);

}  // namespace sealwatch::sim
