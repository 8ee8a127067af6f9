#pragma once
// What every rule's events share: the deterministic id, the event's frame, and the evidence
// written into `details` the same way by every rule (rounded values, a reading, the energy of
// a power alarm).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "detect/alarm.hpp"
#include "model/event.hpp"

namespace sealwatch::detect {

// `<gateway id>:<type>:<asset or meter>:<started, Unix ms>`: the same readings give the same
// ids, live and in analyze.
std::string event_id(std::string_view gateway, std::string_view type, std::string_view subject,
                     WallMs started);

Event make_event(std::string_view type, EventState state, Severity severity, std::string asset,
                 std::string meter, WallMs ts, WallMs started, std::string id);

inline double round_to(double v, double unit) {
    return std::round(v / unit) * unit;
}

// {"ts": RFC 3339, "p_w": w to 0.1 W}
nlohmann::ordered_json reading_json(WallMs ts, double w);

// A power alarm's evidence: peak, energy (from the witness counter, kWh, when it advanced
// since the condition began, else integrated power), duration, first and last reading.
// energy_source: "counter", "power", or "register" where the draw itself was judged from the
// register because the power values did not explain it.
void power_evidence(nlohmann::ordered_json& details, const Alarm& a, double counter_now);

// A meter alarm's span: duration_s, first_seen, last_seen.
void span_evidence(nlohmann::ordered_json& details, const Alarm& a);

}  // namespace sealwatch::detect
