#pragma once
// Judges one command from the county office before anything is carried out (contract,
// "Commands from the county office"): the payload's size and form, a trusted key, the
// signature over the body's exact bytes, the verb against the topic, this gateway's id, the
// validity window (checked against the wall clock only while it is synchronised), known verbs
// with well-formed args, and a nonce never seen before. Pure apart from the nonce memory, which
// the caller provides (persisted by the agent, in memory in tests).
//
// Only an accepted command's nonce is remembered: forged or refused payloads cost no memory, so
// a flood of them cannot fill the disk or push out a real nonce.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/crypto.hpp"
#include "command/verbs.hpp"
#include "common/clock.hpp"
#include "config/config.hpp"
#include "wire/command.hpp"

namespace sealwatch::command {

inline constexpr WallMs kMaxValidityMs = 24LL * 3600 * 1000;  // expires - issued
inline constexpr WallMs kMaxIssuedAheadMs = 5LL * 60 * 1000;  // issued - now, clock synchronised
// How long after its expiry (or after now, whichever is later) a nonce is kept: at least 24 h.
inline constexpr WallMs kNonceKeepMs = 24LL * 3600 * 1000;

// Why a command was refused; reason() is the text in the reply and the event (docs/protocol.md).
enum class Refusal {
    oversized,      // more than wire::kCommandMaxBytes
    malformed,      // not the envelope, not the body, wrong version, expires before issued
    unknown_key,    // `key` is no [[command_key]] of this gateway
    bad_signature,  // the signature does not verify over the body's bytes
    verb_mismatch,  // the body's verb is not the topic's
    other_gateway,  // the body names another gateway
    too_long,       // expires more than 24 h after issued
    expired,        // expires in the past (clock synchronised)
    issued_ahead,   // issued more than 5 min in the future (clock synchronised)
    unknown_verb,   // not a verb this gateway carries out (on this channel)
    bad_args,       // args do not fit the verb
    replayed,       // the nonce was seen before
    nonce_unsaved,  // the nonce could not be recorded, so a replay could not be refused later
    busy,           // the command queue was full (counted by the caller, not judged here)
};
inline constexpr int kRefusalCount = static_cast<int>(Refusal::busy) + 1;

std::string_view reason(Refusal refusal);

struct TrustedKey {
    std::string id;
    chain::PublicKey key{};
};
// The config's [[command_key]] tables.
std::vector<TrustedKey> trusted_keys(const config::Config& cfg);

// The nonces of accepted commands. seen() and remember() are called on the command thread only.
class NonceMemory {
  public:
    virtual ~NonceMemory() = default;
    virtual bool seen(std::string_view nonce) = 0;
    // false when the nonce could not be recorded durably.
    virtual bool remember(std::string_view nonce, WallMs keep_until) = 0;
};

struct Context {
    std::string_view gateway;  // this gateway's id
    std::span<const TrustedKey> keys;
    WallMs now = 0;
    bool clock_synced = false;
    // An inspector's USB stick carries `inspect` requests, MQTT the other verbs (verbs.hpp).
    Channel channel = Channel::mqtt;
};

struct Verdict {
    std::optional<Refusal> refusal;    // nullopt: accepted
    std::optional<std::string> nonce;  // for the reply: the body's, when it has a valid one
    std::string key;                   // the envelope's key id, when there is an envelope
    wire::CommandBody body;            // complete when accepted
    // Why args were bad, or what else refused it, in words for the reply.
    std::string detail;

    bool accepted() const { return !refusal; }
};

Verdict verify(std::string_view topic_verb, std::string_view payload, const Context& context,
               NonceMemory& nonces);

}  // namespace sealwatch::command
