#include "wire/chain_head.hpp"

#include <limits>

#include <nlohmann/json.hpp>

namespace sealwatch::wire {

std::string chain_head_payload(const ChainHead& h) {
    nlohmann::ordered_json j;
    j["gateway"] = h.gateway;
    j["n"] = h.n;
    j["head"] = chain::hex(h.head);
    j["ts"] = h.ts;
    j["fingerprint"] = h.fingerprint;
    j["public_key"] = chain::base64(h.public_key);
    j["sig"] = h.sig ? chain::base64(*h.sig) : "";
    return j.dump();
}

Result<ChainHead> parse_chain_head(std::string_view payload, const Limits& limits) {
    auto j = parse_bounded(payload, limits);
    if (!j) return tl::unexpected(j.error());
    Fields f(*j, limits);
    ChainHead h;
    auto gateway = f.text("gateway");
    if (!gateway) return tl::unexpected(gateway.error());
    h.gateway = std::move(*gateway);
    auto n = f.whole("n", 0, std::numeric_limits<int64_t>::max());
    if (!n) return tl::unexpected(n.error());
    h.n = *n;
    auto head = f.text("head");
    if (!head) return tl::unexpected(head.error());
    if (!chain::from_hex(*head, h.head)) return fail("head: not 64 hex digits");
    auto ts = f.text("ts");
    if (!ts) return tl::unexpected(ts.error());
    if (!parse_time(*ts)) return fail("ts: not an RFC 3339 time");
    h.ts = std::move(*ts);
    auto fingerprint = f.text("fingerprint");
    if (!fingerprint) return tl::unexpected(fingerprint.error());
    h.fingerprint = std::move(*fingerprint);
    auto key = f.text("public_key");
    if (!key) return tl::unexpected(key.error());
    if (!chain::from_base64(*key, h.public_key))
        return fail("public_key: not the base64 of a 32-byte Ed25519 key");
    auto sig = f.text("sig", true);
    if (!sig) return tl::unexpected(sig.error());
    if (!sig->empty()) {
        chain::Signature s{};
        if (!chain::from_base64(*sig, s))
            return fail("sig: not the base64 of a 64-byte Ed25519 signature");
        h.sig = s;
    }
    return h;
}

}  // namespace sealwatch::wire
