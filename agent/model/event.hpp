#pragma once
// An event: what the detector (and the board, and the operator) says happened. The same object
// goes to the store, to MQTT (P/event, with its seq) and into evidence exports. Plain data; its
// JSON form (the contract's event object) is written and read in one place only.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"

namespace sealwatch {

enum class EventState { raised, cleared, info };
enum class Severity { critical, major, minor, info };

struct Event {
    std::string id;    // stable for one alarm from raised to cleared; deterministic
    std::string type;  // contract event type: "reenergized", "meter_offline", ...
    EventState state = EventState::info;
    Severity severity = Severity::info;
    std::string asset;   // may be empty (e.g. a gateway-level event)
    std::string meter;   // may be empty
    WallMs ts = 0;       // the data time the event refers to
    WallMs started = 0;  // when the condition began (data time)
    nlohmann::ordered_json details = nlohmann::ordered_json::object();
};

// `sealwatch test-alarm`'s event (evidence/test_alarm.hpp): state info, never an alarm; the
// county office shows each gateway's last one apart from the alarms.
inline constexpr const char* kTestAlarmType = "test_alarm";

std::string_view to_string(EventState state);
std::string_view to_string(Severity severity);
std::optional<EventState> parse_event_state(std::string_view text);
std::optional<Severity> parse_severity(std::string_view text);

}  // namespace sealwatch
