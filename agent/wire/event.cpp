#include "wire/event.hpp"

#include <limits>

namespace sealwatch::wire {

nlohmann::ordered_json event_json(const Event& e, std::optional<uint64_t> seq) {
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

Result<Event> event_from_json(const nlohmann::ordered_json& j, const Limits& limits) {
    if (!j.is_object()) return fail("not an object");
    Fields f(j, limits);
    Event e;
    auto id = f.text("id");
    if (!id) return tl::unexpected(id.error());
    e.id = std::move(*id);
    auto type = f.text("type");
    if (!type) return tl::unexpected(type.error());
    e.type = std::move(*type);
    auto state = f.text("state");
    if (!state) return tl::unexpected(state.error());
    auto parsed_state = parse_event_state(*state);
    if (!parsed_state) return fail("state: '" + *state + "' is not raised, cleared or info");
    e.state = *parsed_state;
    auto severity = f.text("severity");
    if (!severity) return tl::unexpected(severity.error());
    auto parsed_severity = parse_severity(*severity);
    if (!parsed_severity)
        return fail("severity: '" + *severity + "' is not critical, major, minor or info");
    e.severity = *parsed_severity;
    for (auto [name, field] : {std::pair{"asset", &e.asset}, {"meter", &e.meter}}) {
        if (!f.has(name)) continue;
        auto text = f.text(name, true);
        if (!text) return tl::unexpected(text.error());
        *field = std::move(*text);
    }
    auto ts = f.time("ts");
    if (!ts) return tl::unexpected(ts.error());
    e.ts = *ts;
    auto started = f.time("started");
    if (!started) return tl::unexpected(started.error());
    e.started = *started;
    if (f.has("details")) {
        auto details = f.object("details");
        if (!details) return tl::unexpected(details.error());
        e.details = **details;
    }
    return e;
}

Result<std::string> event_message(uint64_t seq, std::string_view body) {
    if (body.size() < 2 || body.front() != '{' || body.back() != '}')
        return fail("a stored event is not a JSON object");
    std::string out = "{\"seq\":" + std::to_string(seq);
    if (body.size() > 2) out += ',';
    out.append(body.substr(1));
    return out;
}

Result<EventMessage> parse_event_message(std::string_view payload, const Limits& limits) {
    auto j = parse_bounded(payload, limits);
    if (!j) return tl::unexpected(j.error());
    EventMessage m;
    auto seq = Fields(*j, limits).whole("seq", 1, std::numeric_limits<int64_t>::max());
    if (!seq) return tl::unexpected(seq.error());
    m.seq = static_cast<uint64_t>(*seq);
    auto e = event_from_json(*j, limits);
    if (!e) return tl::unexpected(e.error());
    m.event = std::move(*e);
    return m;
}

}  // namespace sealwatch::wire
