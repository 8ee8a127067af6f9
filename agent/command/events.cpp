#include "command/events.hpp"

namespace sealwatch::command {

Event accepted_event(const std::string& gateway, const wire::CommandBody& body,
                     const std::string& key, const nlohmann::json& result, WallMs now) {
    Event e;
    e.type = "command";
    // The nonce is unique per accepted command (the verifier refuses a second use).
    e.id = gateway + ":command:" + body.nonce;
    e.state = EventState::info;
    e.severity = Severity::info;
    e.ts = e.started = now;
    e.details["verb"] = body.verb;
    e.details["key"] = key;
    e.details["nonce"] = body.nonce;
    e.details["args"] = body.args;
    e.details["result"] = result;
    return e;
}

std::optional<Event> RefusalTally::refused(Refusal why, std::string_view topic_verb,
                                           const Verdict& verdict, WallMs now) {
    auto& r = reasons_[static_cast<size_t>(why)];
    ++r.pending;
    r.last = nlohmann::ordered_json::object();
    r.last["verb"] = topic_verb;
    r.last["key"] =
        verdict.key.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(verdict.key);
    r.last["nonce"] =
        verdict.nonce ? nlohmann::ordered_json(*verdict.nonce) : nlohmann::ordered_json(nullptr);
    if (!verdict.detail.empty()) r.last["detail"] = verdict.detail;
    // A wall clock set backwards must not silence a reason until it catches up again.
    bool minute_passed =
        !r.had_event || now - r.last_event >= kRefusalEventEveryMs || now < r.last_event;
    if (!minute_passed) return std::nullopt;
    return event(why, r, now);
}

std::vector<Event> RefusalTally::due(WallMs now) {
    std::vector<Event> out;
    for (size_t i = 0; i < reasons_.size(); ++i) {
        auto& r = reasons_[i];
        if (r.pending > 0 && (now - r.last_event >= kRefusalEventEveryMs || now < r.last_event))
            out.push_back(event(static_cast<Refusal>(i), r, now));
    }
    return out;
}

Event RefusalTally::event(Refusal why, Reason& r, WallMs now) {
    Event e;
    e.type = "command_refused";
    e.id = gateway_ + ":command_refused:" + std::string(reason(why)) + ":" + std::to_string(now);
    e.state = EventState::info;
    // A forged signature or a replay is somebody trying; broken payloads are noise.
    e.severity = why == Refusal::bad_signature || why == Refusal::replayed ||
                         why == Refusal::unknown_key || why == Refusal::other_gateway
                     ? Severity::major
                     : Severity::minor;
    e.ts = e.started = now;
    e.details["reason"] = reason(why);
    e.details["count"] = r.pending;
    e.details["since"] = r.had_event ? nlohmann::ordered_json(format_rfc3339(r.last_event))
                                     : nlohmann::ordered_json(nullptr);
    e.details["last"] = r.last;
    r.pending = 0;
    r.had_event = true;
    r.last_event = now;
    return e;
}

}  // namespace sealwatch::command
