#include "detect/evidence.hpp"

#include <cmath>

namespace sealwatch::detect {

std::string event_id(std::string_view gateway, std::string_view type, std::string_view subject,
                     WallMs started) {
    std::string id;
    id.reserve(96);
    id.append(gateway).append(":").append(type).append(":").append(subject);
    id.append(":").append(std::to_string(started));
    return id;
}

Event make_event(std::string_view type, EventState state, Severity severity, std::string asset,
                 std::string meter, WallMs ts, WallMs started, std::string id) {
    Event e;
    e.id = std::move(id);
    e.type = std::string(type);
    e.state = state;
    e.severity = severity;
    e.asset = std::move(asset);
    e.meter = std::move(meter);
    e.ts = ts;
    e.started = started;
    return e;
}

nlohmann::ordered_json reading_json(WallMs ts, double w) {
    return nlohmann::ordered_json{{"ts", format_rfc3339(ts)}, {"p_w", round_to(w, 0.1)}};
}

void power_evidence(nlohmann::ordered_json& det, const Alarm& a, double counter_now) {
    det["peak_w"] = round_to(a.peak, 0.1);
    double kwh = a.energy_wh / 1000;
    const char* source = "power";
    if (!std::isnan(a.counter0) && !std::isnan(counter_now) && counter_now >= a.counter0) {
        kwh = counter_now - a.counter0;
        source = "counter";
    }
    // The power values did not explain the register: the draw itself was judged from it.
    if (a.from_register) source = "register";
    det["energy_kwh"] = round_to(kwh, 0.001);
    det["energy_source"] = source;
    det["duration_s"] = (a.last_ts - a.first_ts) / 1000;
    det["first_reading"] = reading_json(a.first_ts, a.first_v);
    det["last_reading"] = reading_json(a.last_ts, a.last_v);
}

void span_evidence(nlohmann::ordered_json& det, const Alarm& a) {
    det["duration_s"] = (a.last_ts - a.first_ts) / 1000;
    det["first_seen"] = format_rfc3339(a.first_ts);
    det["last_seen"] = format_rfc3339(a.last_ts);
}

}  // namespace sealwatch::detect
