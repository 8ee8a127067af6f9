#pragma once
// A reading and a meter's health: what the poller hands on, what the detector judges, what the
// store keeps and the uplink sends. Plain values, no behaviour; they cross threads through a queue.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/instrument_ratios.hpp"

namespace sealwatch {

struct QuantityValue {
    uint8_t quantity;  // index into kQuantities (common/quantities.hpp)
    double value;
};

struct Reading {
    std::string meter;
    WallMs wall_ms = 0;  // wall clock when the poll started: the reading's "ts"
    MonoNs mono_ns = 0;  // monotonic clock at the same moment
    std::vector<QuantityValue> values;
    std::optional<std::string> serial;  // read at first contact and then every so often
    // The transformer ratios `values` were already multiplied by (the meter's ct_ratio and
    // pt_ratio): carried along so the chain and the export can say which primary values were
    // derived how. Never applied again after the poller.
    InstrumentRatios ratios;
    // The gateway's wall clock was not synchronised at this poll (contract: "clock_unsynced"),
    // so `wall_ms` may be far off; stamped when the poll hands the reading on.
    bool clock_unsynced = false;
};

enum class MeterHealth { online, offline, misconfigured };

struct HealthChange {
    std::string meter;
    WallMs wall_ms = 0;
    MonoNs mono_ns = 0;
    MeterHealth health = MeterHealth::online;
    std::string reason;  // "timeout", "exception 2 (Illegal data address)", ...
};

std::string_view to_string(MeterHealth health);

}  // namespace sealwatch
