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
    return wire::encode_envelope(envelope);
}

}  // namespace sealwatch::county
