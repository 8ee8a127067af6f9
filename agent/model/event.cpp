#include "model/event.hpp"

namespace sealwatch {

std::string_view to_string(EventState state) {
    switch (state) {
        case EventState::raised:
            return "raised";
        case EventState::cleared:
            return "cleared";
        case EventState::info:
            return "info";
    }
    return "info";
}

std::string_view to_string(Severity severity) {
    switch (severity) {
        case Severity::critical:
            return "critical";
        case Severity::major:
            return "major";
        case Severity::minor:
            return "minor";
        case Severity::info:
            return "info";
    }
    return "info";
}

std::optional<EventState> parse_event_state(std::string_view text) {
    for (auto s : {EventState::raised, EventState::cleared, EventState::info})
        if (to_string(s) == text) return s;
    return std::nullopt;
}

std::optional<Severity> parse_severity(std::string_view text) {
    for (auto s : {Severity::critical, Severity::major, Severity::minor, Severity::info})
        if (to_string(s) == text) return s;
    return std::nullopt;
}

}  // namespace sealwatch
