#include "command/verify.hpp"

#include <algorithm>

#include "command/verbs.hpp"

namespace sealwatch::command {

std::string_view reason(Refusal refusal) {
    switch (refusal) {
        case Refusal::oversized:
            return "oversized";
        case Refusal::malformed:
            return "malformed";
        case Refusal::unknown_key:
            return "unknown_key";
        case Refusal::bad_signature:
            return "bad_signature";
        case Refusal::verb_mismatch:
            return "verb_mismatch";
        case Refusal::other_gateway:
            return "other_gateway";
        case Refusal::too_long:
            return "too_long";
        case Refusal::expired:
            return "expired";
        case Refusal::issued_ahead:
            return "issued_ahead";
        case Refusal::unknown_verb:
            return "unknown_verb";
        case Refusal::bad_args:
            return "bad_args";
        case Refusal::replayed:
            return "replayed";
        case Refusal::nonce_unsaved:
            return "nonce_unsaved";
        case Refusal::busy:
            return "busy";
    }
    return "?";
}

std::vector<TrustedKey> trusted_keys(const config::Config& cfg) {
    std::vector<TrustedKey> keys;
    for (const auto& k : cfg.command_keys) keys.push_back({k.id, k.public_key});
    return keys;
}

namespace {

Verdict refused(Verdict v, Refusal why, std::string detail = {}) {
    v.refusal = why;
    v.detail = std::move(detail);
    return v;
}

}  // namespace

// The order matters: the form first (cheap, and it gives the reply its nonce), then who signed
// it, and only then anything the body says, which is not to be believed before the signature.
Verdict verify(std::string_view topic_verb, std::string_view payload, const Context& context,
               NonceMemory& nonces) {
    Verdict v;
    if (payload.size() > wire::kCommandMaxBytes) return refused(std::move(v), Refusal::oversized);
    auto envelope = wire::parse_envelope(payload);
    if (!envelope)
        return refused(std::move(v), Refusal::malformed, "not a {key, sig, body} object");
    v.key = envelope->key;
    v.nonce = wire::body_nonce(envelope->body);
    auto body = wire::parse_body(envelope->body);
    if (!body) return refused(std::move(v), Refusal::malformed, "body is not a command");

    auto trusted = std::find_if(context.keys.begin(), context.keys.end(),
                                [&](const TrustedKey& k) { return k.id == envelope->key; });
    if (trusted == context.keys.end()) return refused(std::move(v), Refusal::unknown_key);
    chain::Signature sig{};
    if (!chain::from_base64(envelope->sig, sig) ||
        !chain::verify_signature(trusted->key, envelope->body, sig))
        return refused(std::move(v), Refusal::bad_signature);

    if (body->v != wire::kCommandVersion)
        return refused(std::move(v), Refusal::malformed,
                       "version " + std::to_string(body->v) + " (this gateway speaks 1)");
    if (body->verb != topic_verb) return refused(std::move(v), Refusal::verb_mismatch);
    if (body->gateway != context.gateway) return refused(std::move(v), Refusal::other_gateway);
    if (body->expires <= body->issued)
        return refused(std::move(v), Refusal::malformed, "expires is not after issued");
    if (body->expires - body->issued > kMaxValidityMs)
        return refused(std::move(v), Refusal::too_long);
    // A gateway that booted without a real-time clock does not know the date yet: the window
    // cannot be judged, and the nonce memory alone stands between it and a replay.
    if (context.clock_synced) {
        if (body->expires < context.now) return refused(std::move(v), Refusal::expired);
        if (body->issued > context.now + kMaxIssuedAheadMs)
            return refused(std::move(v), Refusal::issued_ahead);
    }
    auto verb = parse_verb(body->verb);
    if (!verb) return refused(std::move(v), Refusal::unknown_verb);
    if (!arrives_by(*verb, context.channel))
        return refused(std::move(v), Refusal::unknown_verb,
                       *verb == Verb::inspect ? "inspect comes on a USB stick, not over MQTT"
                                              : "a USB stick carries only inspect requests");
    if (auto problem = args_problem(*verb, body->args); !problem.empty())
        return refused(std::move(v), Refusal::bad_args, std::move(problem));

    if (nonces.seen(body->nonce)) return refused(std::move(v), Refusal::replayed);
    if (!nonces.remember(body->nonce, std::max(context.now, body->expires) + kNonceKeepMs))
        return refused(std::move(v), Refusal::nonce_unsaved);
    v.body = std::move(*body);
    return v;
}

}  // namespace sealwatch::command
