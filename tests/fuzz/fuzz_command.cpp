// libFuzzer target: the county commands as the gateway reads them off the broker (anyone who
// can publish on P/cmd/... can send these bytes): the envelope, body and reply forms
// (wire/command), an export chunk, and the whole verdict (command::verify) with one trusted key.
// Input: one selector byte, the topic's verb up to the first newline, then the payload.
//   selector 0: the payload as it arrives, through every parser and the verdict
//   selector 1: the payload is a body; the target signs it with the trusted key and wraps it in
//               an envelope, so that the checks after the signature (verb, gateway, validity,
//               args, nonce memory) see fuzzed bodies too
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chain/crypto.hpp"
#include "command/verify.hpp"
#include "wire/command.hpp"

namespace {

using namespace sealwatch;

const chain::SigningKey& county_key() {
    static const chain::SigningKey key = [] {
        auto k = chain::SigningKey::generate();
        if (!k) std::abort();
        return std::move(*k);
    }();
    return key;
}

// Remembers in memory, as the store does on disk; a nonce twice in one input is a replay.
class Nonces final : public command::NonceMemory {
  public:
    bool seen(std::string_view nonce) override { return seen_.contains(std::string(nonce)); }
    bool remember(std::string_view nonce, WallMs) override {
        seen_.emplace(nonce);
        return true;
    }

  private:
    std::set<std::string> seen_;
};

bool valid_utf8(const std::string& text) {
    try {
        (void)nlohmann::json(text).dump();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const bool sign = (data[0] & 1) != 0;
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto newline = rest.find('\n');
    const std::string_view verb = newline == std::string_view::npos ? "" : rest.substr(0, newline);
    std::string payload(newline == std::string_view::npos ? rest : rest.substr(newline + 1));

    (void)wire::body_nonce(payload);
    (void)wire::parse_reply(payload);
    (void)wire::parse_export_chunk(payload);
    if (auto body = wire::parse_body(payload)) (void)wire::encode_body(*body);
    if (auto envelope = wire::parse_envelope(payload)) (void)wire::encode_envelope(*envelope);

    // The county signs bodies it made itself (wire::encode_body): valid UTF-8, which a JSON
    // string must be. Other bytes are sent unsigned, as they are.
    if (sign && valid_utf8(payload)) {
        auto sig = county_key().sign(payload);
        if (!sig) std::abort();
        payload = wire::encode_envelope({"county-1", chain::base64(*sig), payload});
    }
    const command::TrustedKey keys[] = {{"county-1", county_key().public_key()}};
    command::Context context{"gw-001", keys, 1795298400000, (data[0] & 2) != 0};
    Nonces nonces;
    for (int round = 0; round < 2; ++round) {  // the second time, an accepted one is a replay
        auto verdict = command::verify(verb, payload, context, nonces);
        if (round == 1 && verdict.accepted()) __builtin_trap();
    }
    return 0;
}
