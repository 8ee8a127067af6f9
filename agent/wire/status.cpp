#include "wire/status.hpp"

#include <limits>

namespace sealwatch::wire {

std::string status_payload(const Status& s) {
    std::string out = std::string("{\"online\":") + (s.online ? "true" : "false") + ",\"ts\":\"" +
                      format_rfc3339(s.ts) + "\",\"version\":";
    append_json_string(out, s.version);
    out += ",\"boot\":" + std::to_string(s.boot) + "}";
    return out;
}

Result<Status> parse_status(std::string_view payload, const Limits& limits) {
    auto j = parse_bounded(payload, limits);
    if (!j) return tl::unexpected(j.error());
    Fields f(*j, limits);
    Status s;
    auto online = f.flag("online");
    if (!online) return tl::unexpected(online.error());
    s.online = *online;
    auto ts = f.time("ts");
    if (!ts) return tl::unexpected(ts.error());
    s.ts = *ts;
    auto version = f.text("version");
    if (!version) return tl::unexpected(version.error());
    s.version = std::move(*version);
    auto boot = f.whole("boot", 0, std::numeric_limits<int64_t>::max());
    if (!boot) return tl::unexpected(boot.error());
    s.boot = *boot;
    return s;
}

std::string health_json(const HealthChange& change) {
    std::string out = "{\"meter\":";
    append_json_string(out, change.meter);
    out += ",\"health\":\"";
    out += to_string(change.health);
    out += "\",\"ts\":\"" + format_rfc3339(change.wall_ms) + "\"}";
    return out;
}

}  // namespace sealwatch::wire
