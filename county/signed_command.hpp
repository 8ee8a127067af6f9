#pragma once
// A county command as `sealwatch-county send` makes it (contract, "Commands from the county
// office"; docs/protocol.md): the body with a fresh nonce, signed over its exact bytes with the
// county key, in the envelope the gateway reads. `sealwatch-county request` signs an
// inspector's USB stick request the same way.
#include <optional>
#include <string>
#include <string_view>

#include "chain/crypto.hpp"
#include "common/error.hpp"
#include "county/config.hpp"
#include "wire/command.hpp"

namespace sealwatch::county {

// 24 characters of [A-Za-z0-9_-] (144 random bits): never the same twice, so a gateway never
// takes a new command for a replay.
std::string new_nonce();

// The payload for P/cmd/<body.verb>: {"key":key_id,"sig":…,"body":…}. Fails for one longer
// than a gateway reads (wire::kCommandMaxBytes).
Result<std::string> sign_command(const chain::SigningKey& key, std::string_view key_id,
                                 const wire::CommandBody& body);

// The county key to sign with: the config's [[command_key]] named `id`, or its first one, with
// the private key read from its file.
struct CountyKey {
    std::string id;
    chain::SigningKey key;
};
Result<CountyKey> county_key(const Config& cfg, const std::optional<std::string>& id);

}  // namespace sealwatch::county
