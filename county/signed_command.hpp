#pragma once
// A county command as `sealwatch-county send` makes it (contract, "Commands from the county
// office"; docs/protocol.md): the body with a fresh nonce, signed over its exact bytes with the
// county key, in the envelope the gateway reads.
#include <string>
#include <string_view>

#include "chain/crypto.hpp"
#include "common/error.hpp"
#include "wire/command.hpp"

namespace sealwatch::county {

// 24 characters of [A-Za-z0-9_-] (144 random bits): never the same twice, so a gateway never
// takes a new command for a replay.
std::string new_nonce();

// The payload for P/cmd/<body.verb>: {"key":key_id,"sig":…,"body":…}.
Result<std::string> sign_command(const chain::SigningKey& key, std::string_view key_id,
                                 const wire::CommandBody& body);

}  // namespace sealwatch::county
