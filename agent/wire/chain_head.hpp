#pragma once
// P/chain (retained, outside the seq stream): the gateway's signed chain head. `sig` is Ed25519
// with the gateway key over chain::head_statement(gateway, n, head, ts), ts as the text sent.
//
//   {"gateway":"gw-001","n":526330,"head":"<64 hex>","ts":"…","fingerprint":"3187 2944 …",
//    "public_key":"<base64, 32 bytes>","sig":"<base64, 64 bytes>"}
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chain/crypto.hpp"
#include "common/error.hpp"
#include "wire/json.hpp"

namespace sealwatch::wire {

struct ChainHead {
    std::string gateway;
    int64_t n = 0;  // entries in the chain
    chain::Digest head{};
    std::string ts;           // RFC 3339, kept as sent: the signature covers this text
    std::string fingerprint;  // chain::fingerprint(public_key), to read aloud
    chain::PublicKey public_key{};
    std::optional<chain::Signature> sig;  // sent as "" when the gateway could not sign
};

std::string chain_head_payload(const ChainHead& head);
// Reads the fields; checking the signature against a pinned key is the reader's part.
Result<ChainHead> parse_chain_head(std::string_view payload, const Limits& limits = {});

}  // namespace sealwatch::wire
