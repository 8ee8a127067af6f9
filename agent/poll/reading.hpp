#pragma once
// What the poller hands on: readings (decoded once into canonical quantities) and changes of a
// meter's health. Plain values; they cross threads through a queue.
#include <cstdint>
#include <optional>
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
// {"meter":"m1","ts":"…","values":{"p_w":…},"serial":"…"} — the contract's reading object.
std::string reading_json(const Reading& reading);

}  // namespace sealwatch::poll
