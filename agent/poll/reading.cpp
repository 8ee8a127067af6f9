#include "poll/reading.hpp"

#include <nlohmann/json.hpp>

#include "common/quantities.hpp"

namespace sealwatch::poll {

std::string_view to_string(Health health) {
    switch (health) {
        case Health::online:
            return "online";
        case Health::offline:
            return "offline";
        case Health::misconfigured:
            return "misconfigured";
    }
    return "?";
}

std::string reading_json(const Reading& reading) {
    nlohmann::ordered_json j;
    j["meter"] = reading.meter;
    j["ts"] = format_rfc3339(reading.wall_ms);
    auto& values = j["values"] = nlohmann::ordered_json::object();
    for (const auto& v : reading.values) values[std::string(kQuantities[v.quantity])] = v.value;
    if (reading.serial) j["serial"] = *reading.serial;
    return j.dump();
}

}  // namespace sealwatch::poll
