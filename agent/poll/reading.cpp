#include "poll/reading.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/quantities.hpp"

namespace sealwatch::poll {

void append_json_number(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

void append_reading_json(std::string& out, std::string_view meter, WallMs ts,
                         std::span<const QuantityValue> values, const std::string* serial) {
    out += "{\"meter\":";
    append_json_string(out, meter);
    out += ",\"ts\":\"";
    out += format_rfc3339(ts);
    out += "\",\"values\":{";
    bool first = true;
    for (const auto& v : values) {
        if (!first) out += ',';
        first = false;
        out += '"';
        out += kQuantities[v.quantity];
        out += "\":";
        append_json_number(out, v.value);
    }
    out += '}';
    if (serial) {
        out += ",\"serial\":";
        append_json_string(out, *serial);
    }
    out += '}';
}

std::string reading_json(const Reading& reading) {
    std::string out;
    append_reading_json(out, reading.meter, reading.wall_ms, reading.values,
                        reading.serial ? &*reading.serial : nullptr);
    return out;
}

}  // namespace sealwatch::poll
