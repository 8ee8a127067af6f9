#include "detect/event.hpp"

namespace sealwatch::detect {

nlohmann::ordered_json to_json(const Event& e, std::optional<uint64_t> seq) {
    nlohmann::ordered_json j;
    if (seq) j["seq"] = *seq;
    j["id"] = e.id;
    j["type"] = e.type;
    j["state"] = to_string(e.state);
    j["severity"] = to_string(e.severity);
    j["asset"] = e.asset;
    j["meter"] = e.meter;
    j["ts"] = format_rfc3339(e.ts);
    j["started"] = format_rfc3339(e.started);
    j["details"] = e.details;
    return j;
}

std::optional<Event> event_from_json(const nlohmann::ordered_json& j) {
    if (!j.is_object()) return std::nullopt;
    try {
        Event e;
        e.id = j.at("id").get<std::string>();
        e.type = j.at("type").get<std::string>();
        auto state = parse_event_state(j.at("state").get<std::string>());
        auto severity = parse_severity(j.at("severity").get<std::string>());
        auto ts = parse_time(j.at("ts").get<std::string>());
        auto started = parse_time(j.at("started").get<std::string>());
        if (!state || !severity || !ts || !started) return std::nullopt;
        e.state = *state;
        e.severity = *severity;
        e.ts = *ts;
        e.started = *started;
        e.asset = j.value("asset", "");
        e.meter = j.value("meter", "");
        if (j.contains("details")) e.details = j.at("details");
        return e;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

}  // namespace sealwatch::detect
