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

// v to the nearest multiple of unit (0.1 W, 0.001 kWh, 1 W). A sub-unit is applied as a division
// by its exact integer inverse: a correctly rounded division gives the double nearest the
// decimal, which prints short (745160.6), where multiplying by 0.1 does not (745160.6000000001).
// `+ 0.0` turns a -0.0 (a small negative value rounded) into 0.
inline double round_to(double v, double unit) {
    if (unit < 1.0) {
        double per_unit = std::round(1.0 / unit);
        return std::round(v * per_unit) / per_unit + 0.0;
    }
    return std::round(v / unit) * unit + 0.0;
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
