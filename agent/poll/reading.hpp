#pragma once
// What the poller hands on: readings (decoded once into canonical quantities) and changes of a
// meter's health. Plain values; they cross threads through a queue.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.hpp"

namespace sealwatch::poll {

struct Value {
    uint8_t quantity;  // index into kQuantities (common/quantities.hpp)
    double value;
};

struct Reading {
    std::string meter;
    WallMs wall_ms = 0;  // wall clock when the poll started: the reading's "ts"
    MonoNs mono_ns = 0;  // monotonic clock at the same moment
    std::vector<Value> values;
    std::optional<std::string> serial;  // read at first contact and then every so often
};

enum class Health { online, offline, misconfigured };

struct HealthChange {
    std::string meter;
    WallMs wall_ms = 0;
    MonoNs mono_ns = 0;
    Health health = Health::online;
    std::string reason;  // "timeout", "exception 2 (Illegal data address)", ...
};

using PollOutput = std::variant<Reading, HealthChange>;

std::string_view to_string(Health health);
// {"meter":"m1","ts":"…","values":{"p_w":…},"serial":"…"} — the contract's reading object,
// appended to `out`. Hand-written because telemetry drains build millions of these.
void append_reading_json(std::string& out, std::string_view meter, WallMs ts,
                         std::span<const Value> values, const std::string* serial);
std::string reading_json(const Reading& reading);
// A JSON number: shortest text that reads back to the same double; null for NaN/inf.
void append_json_number(std::string& out, double v);
void append_json_string(std::string& out, std::string_view s);

}  // namespace sealwatch::poll
