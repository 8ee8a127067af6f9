#pragma once
// The verbs a gateway carries out for the county office, and the args each takes
// (docs/protocol.md, "Commands"):
//   ping       {}                                         result: version, uptime_s, next_seq
//   set-state  {"asset","state","by"[,"note"]}            as `sealwatch asset set-state`
//   export     {"from","to"[,"asset"]}                    bundle chunks on P/cmd/export/<nonce>
//   reload     {}                                         re-reads the config, as SIGHUP
//   inspect    {"from","to","inspector"[,"asset"]}        only from a USB stick
//   (docs/inspector.md):
//                                                         the bundle written to the stick
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sealwatch::command {

enum class Verb { ping, set_state, export_bundle, reload, inspect };

// How a signed request reached the gateway. `inspect` comes only on an inspector's USB stick
// (sealwatch-county request), the others only over MQTT: a request copied from one path to the
// other is refused as an unknown verb.
enum class Channel { mqtt, stick };
bool arrives_by(Verb verb, Channel channel);

std::optional<Verb> parse_verb(std::string_view text);
std::string_view to_string(Verb verb);

// Empty when `args` fit the verb; otherwise what is wrong, for the reply. Unknown members are
// wrong too: a misspelt "note" must not vanish silently.
std::string args_problem(Verb verb, const nlohmann::json& args);

}  // namespace sealwatch::command
