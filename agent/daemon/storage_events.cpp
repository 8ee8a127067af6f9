#include "daemon/storage_events.hpp"

#include "chain/crypto.hpp"

namespace sealwatch::daemon {

namespace {

std::string full_id(const std::string& gateway, WallMs since) {
    return gateway + ":storage_full:gateway:" + std::to_string(since);
}

}  // namespace

Event database_damaged(const std::string& gateway, const store::Damage& d, WallMs now,
                       const std::string& when) {
    using json = nlohmann::ordered_json;
    Event e;
    e.type = "database_damaged";
    e.state = EventState::info;
    e.severity = Severity::critical;
    e.ts = e.started = now;
    e.id = gateway + ":database_damaged:gateway:" + std::to_string(now);
    e.details["found"] = when;
    e.details["reason"] = d.reason;
    e.details["kept_as"] = d.kept_as;
    e.details["last_durable"] = d.last_durable
                                    ? json{{"chain_n", d.last_durable->chain_n},
                                           {"chain_head", chain::hex(d.last_durable->chain_head)},
                                           {"next_seq", d.last_durable->next_seq}}
                                    : json(nullptr);
    e.details["damaged_chain_n"] = d.found_chain_n ? json(*d.found_chain_n) : json(nullptr);
    e.details["damaged_next_seq"] = d.found_next_seq ? json(*d.found_next_seq) : json(nullptr);
    e.details["chain_continues_after"] = d.continued_from_n;
    e.details["seq_continues_at"] = d.continued_seq;
    e.details["salvaged"] = d.salvaged;
    return e;
}

Event storage_full_raised(const std::string& gateway, WallMs since, const std::string& message) {
    Event e;
    e.type = "storage_full";
    e.state = EventState::raised;
    e.severity = Severity::major;
    e.ts = e.started = since;
    e.id = full_id(gateway, since);
    e.details["message"] = message;
    return e;
}

Event storage_full_cleared(const std::string& gateway, WallMs since, WallMs now,
                           size_t readings_dropped) {
    Event e;
    e.type = "storage_full";
    e.state = EventState::cleared;
    e.severity = Severity::major;
    e.ts = now;
    e.started = since;
    e.id = full_id(gateway, since);
    e.details["duration_s"] = (now - since) / 1000;
    e.details["readings_dropped"] = readings_dropped;
    return e;
}

}  // namespace sealwatch::daemon
