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

Severity refusal_severity(Refusal why) {
    return why == Refusal::bad_signature || why == Refusal::replayed ||
                   why == Refusal::unknown_key || why == Refusal::other_gateway
               ? Severity::major
               : Severity::minor;
}

namespace {

Event stick_event(const std::string& type, const std::string& gateway, Severity severity,
                  WallMs now) {
    Event e;
    e.type = type;
    e.id = gateway + ":" + type + ":" + std::to_string(now);
    e.state = EventState::info;
    e.severity = severity;
    e.ts = e.started = now;
    return e;
}

// Who asked for which period: the first details of `inspection` and `inspection_failed`.
void request_details(Event& e, const wire::CommandBody& body, const std::string& key) {
    const auto& a = body.args;
    e.details["inspector"] = a.value("inspector", std::string());
    e.details["key"] = key;
    e.details["nonce"] = body.nonce;
    e.details["from"] = a.value("from", std::string());
    e.details["to"] = a.value("to", std::string());
    e.details["asset"] = a.contains("asset") ? nlohmann::ordered_json(a.at("asset"))
                                             : nlohmann::ordered_json(nullptr);
}

}  // namespace

Event inspection_event(const std::string& gateway, const wire::CommandBody& body,
                       const std::string& key, const nlohmann::ordered_json& written, WallMs now) {
    auto e = stick_event("inspection", gateway, Severity::info, now);
    e.id = gateway + ":inspection:" + body.nonce;  // a request is carried out once
    request_details(e, body, key);
    for (const auto& [name, value] : written.items()) e.details[name] = value;
    return e;
}

Event inspection_refused_event(const std::string& gateway, std::string_view reason,
                               Severity severity, nlohmann::ordered_json details, WallMs now) {
    auto e = stick_event("inspection_refused", gateway, severity, now);
    e.details["reason"] = reason;
    for (const auto& [name, value] : details.items()) e.details[name] = value;
    return e;
}

Event inspection_failed_event(const std::string& gateway, const wire::CommandBody& body,
                              const std::string& key, nlohmann::ordered_json details, WallMs now) {
    auto e = stick_event("inspection_failed", gateway, Severity::minor, now);
    request_details(e, body, key);
    for (const auto& [name, value] : details.items()) e.details[name] = value;
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
    e.severity = refusal_severity(why);
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
