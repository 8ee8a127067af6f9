#pragma once
// `sealwatch-county send GATEWAY VERB [NAME=VALUE…]` (docs/cli.md, docs/county.md): signs one
// command with a county key, publishes it on P/cmd/<verb>, waits for the reply with its nonce on
// P/cmd/reply and prints it; for `export`, puts the bundle's chunks back together in a folder
// and checks it with the code of `sealwatch verify`.
//
// The gateway's site, which its topics need, comes from --site or else from the gateway's own
// retained P/status on the broker (<prefix>/+/<gateway>/status).
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "county/config.hpp"

namespace sealwatch::county {

// Exit codes (docs/cli.md).
inline constexpr int kSendOk = 0;
inline constexpr int kSendRefused = 1;       // ok:false, or an export that does not verify
inline constexpr int kSendUsage = 2;         // bad arguments, config or key: nothing was sent
inline constexpr int kSendKeyNotPinned = 3;  // export intact against its own key (no --pubkey)
inline constexpr int kSendNoReply = 4;       // sent, no reply in time: outcome unknown
inline constexpr int kSendNoBroker = 5;      // no broker connection in time: nothing was sent

struct SendOptions {
    std::string gateway;
    std::string verb;
    nlohmann::json args = nlohmann::json::object();
    std::optional<std::string> site;
    std::optional<std::string> key_id;  // a [[command_key]] id; the first one when absent
    std::optional<std::string> issued;  // RFC 3339 or Unix seconds; now when absent
    int valid_for_s = 600;              // expires = issued + this
    int timeout_s = 60;                 // for the connection, the site and the reply together
    std::string out_dir;                // export: where the bundle goes
    std::optional<std::string> pubkey;  // export: the gateway's public key to verify against
    bool json = false;
};

// NAME=VALUE words into the args object (values are strings); nullopt and `problem` set for a
// word without '=' or a name given twice.
std::optional<nlohmann::json> parse_args(const std::vector<std::string>& words,
                                         std::string& problem);

int send(const Config& cfg, const SendOptions& options);

}  // namespace sealwatch::county
