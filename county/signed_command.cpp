#include "county/signed_command.hpp"

#include <random>

namespace sealwatch::county {

std::string new_nonce() {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device random;  // the kernel's generator (getrandom) on Linux
    std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
    std::string nonce(24, ' ');
    for (auto& c : nonce) c = kAlphabet[pick(random)];
    return nonce;
}

Result<std::string> sign_command(const chain::SigningKey& key, std::string_view key_id,
                                 const wire::CommandBody& body) {
    wire::CommandEnvelope envelope;
    envelope.key = std::string(key_id);
    envelope.body = wire::encode_body(body);
    auto sig = key.sign(envelope.body);
    if (!sig) return tl::unexpected(sig.error());
    envelope.sig = chain::base64(*sig);
    auto payload = wire::encode_envelope(envelope);
    if (payload.size() > wire::kCommandMaxBytes)
        return fail("the signed " + body.verb + " is " + std::to_string(payload.size()) +
                    " bytes; a gateway reads at most 16 KiB (shorten its text args)");
    return payload;
}

Result<CountyKey> county_key(const Config& cfg, const std::optional<std::string>& id) {
    if (cfg.command_keys.empty())
        return fail(cfg.file + " has no [[command_key]] to sign with (docs/county.md)");
    const CommandKey* entry = id ? cfg.find_command_key(*id) : &cfg.command_keys.front();
    if (!entry) return fail("no [[command_key]] with id '" + *id + "' in " + cfg.file);
    auto key = chain::SigningKey::load_pem(entry->private_key_file);
    if (!key) return tl::unexpected(key.error());
    return CountyKey{entry->id, std::move(*key)};
}

}  // namespace sealwatch::county
