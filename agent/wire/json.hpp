#pragma once
// The JSON primitives of the wire contract, shared by its encoders and decoders: numbers and
// strings written by hand where millions are written (telemetry drains), and the one bounded
// way to read a payload that came from the network.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace sealwatch::wire {

// A JSON number: the shortest text that reads back to the same double; null for NaN/inf.
void append_json_number(std::string& out, double v);
// A JSON string: quotes, backslashes and control characters escaped; other bytes as they are.
void append_json_string(std::string& out, std::string_view s);

// What a decoder accepts at most. The defaults are far above what a gateway writes (a telemetry
// message of 200 readings is ~40 kB) and far below what would hurt the reader.
struct Limits {
    size_t max_bytes = size_t{4} * 1024 * 1024;
    int max_depth = 32;         // nested objects and arrays, counted before parsing
    size_t max_items = 100000;  // readings or rollups in one message
    size_t max_text = 1024;     // an id, a type, a serial, a version
};

// The payload as JSON, or why not: too large, nested too deep, not JSON. Never throws.
Result<nlohmann::ordered_json> parse_bounded(std::string_view payload, const Limits& limits);

// Typed members of a decoded object, each failing with "NAME: what was wrong".
class Fields {
  public:
    Fields(const nlohmann::ordered_json& object, const Limits& limits)
        : j_(object), limits_(limits) {}
    bool has(const char* name) const;
    Result<std::string> text(const char* name, bool may_be_empty = false) const;
    Result<bool> flag(const char* name) const;
    // A whole number in [min, max]; a fraction, a float or anything out of range is refused.
    Result<int64_t> whole(const char* name, int64_t min, int64_t max) const;
    Result<WallMs> time(const char* name) const;  // an RFC 3339 string
    // A number, or null for a value the gateway had as NaN/inf (read back as NaN).
    Result<double> number(const char* name) const;
    Result<const nlohmann::ordered_json*> array(const char* name) const;
    Result<const nlohmann::ordered_json*> object(const char* name) const;

  private:
    Result<const nlohmann::ordered_json*> member(const char* name) const;
    const nlohmann::ordered_json& j_;
    const Limits& limits_;
};

}  // namespace sealwatch::wire
