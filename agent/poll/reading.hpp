#pragma once
// The contract's reading object as JSON text (telemetry).
#include <span>
#include <string>
#include <string_view>

#include "model/reading.hpp"

namespace sealwatch::poll {

// {"meter":"m1","ts":"…","values":{"p_w":…},"serial":"…"} — the contract's reading object,
// appended to `out`. Hand-written because telemetry drains build millions of these.
void append_reading_json(std::string& out, std::string_view meter, WallMs ts,
                         std::span<const QuantityValue> values, const std::string* serial);
std::string reading_json(const Reading& reading);
// A JSON number: shortest text that reads back to the same double; null for NaN/inf.
void append_json_number(std::string& out, double v);
void append_json_string(std::string& out, std::string_view s);

}  // namespace sealwatch::poll
