#include "county/chain_verdict.hpp"

#include "chain/chain.hpp"
#include "common/clock.hpp"

namespace sealwatch::county {

namespace {

HeadVerdict ignored(const ChainRecord& prior, std::string why) {
    return {HeadVerdict::Kind::ignored, prior, false, std::move(why)};
}

HeadVerdict broke(const ChainRecord& prior, std::string reason, bool keep) {
    HeadVerdict v{HeadVerdict::Kind::broke, prior, keep, {}};
    v.next.state = ChainState::broken;
    v.next.reason = std::move(reason);
    return v;
}

}  // namespace

HeadVerdict judge_head(const ChainRecord& prior, const std::string& topic_gateway,
                       const wire::ChainHead& head, const std::optional<HeadRecord>& held) {
    if (!head.sig) return ignored(prior, "unsigned (the gateway could not sign)");
    const bool good_sig = chain::verify_signature(
        head.public_key, chain::head_statement(head.gateway, head.n, head.head, head.ts),
        *head.sig);
    const auto ts = parse_time(head.ts);
    std::string fault;
    if (!good_sig)
        fault = "its signature does not verify";
    else if (head.gateway != topic_gateway)
        fault = "it names gateway " + head.gateway;
    else if (!ts)
        fault = "its ts does not parse";

    if (!prior.pinned_key) {
        if (!fault.empty()) return ignored(prior, "a head that proves nothing: " + fault);
        HeadVerdict v{HeadVerdict::Kind::pinned, prior, true, {}};
        v.next.state = ChainState::verified;
        v.next.pinned_key = head.public_key;
        v.next.fingerprint = chain::fingerprint(head.public_key);
        v.next.last_n = head.n;
        v.next.last_head = head.head;
        v.next.last_ts = *ts;
        return v;
    }
    // From here a fault breaks the chain, unless it is already broken.
    const bool already = prior.state == ChainState::broken;
    auto breaks = [&](std::string reason, bool keep) {
        if (already) return HeadVerdict{HeadVerdict::Kind::duplicate, prior, keep, {}};
        return broke(prior, std::move(reason), keep);
    };
    if (head.public_key != *prior.pinned_key)
        return breaks("a head signed by another key (fingerprint " +
                          chain::fingerprint(head.public_key) + ", pinned " + prior.fingerprint +
                          ")",
                      false);
    if (!fault.empty()) return breaks("a head with the pinned key, but " + fault, false);

    if (held) {
        if (held->head == head.head) return {HeadVerdict::Kind::duplicate, prior, false, {}};
        return breaks("two heads for n = " + std::to_string(head.n) + " (" +
                          chain::hex(held->head) + " received first, now " + chain::hex(head.head) +
                          ")",
                      false);
    }
    if (head.n<prior.last_n&& * ts> prior.last_ts)
        return breaks("n went backwards: " + std::to_string(head.n) + " signed at " + head.ts +
                          ", after " + std::to_string(prior.last_n) + " signed at " +
                          format_rfc3339(prior.last_ts),
                      true);
    HeadVerdict v{HeadVerdict::Kind::advanced, prior, true, {}};
    if (head.n > prior.last_n) {
        v.next.last_n = head.n;
        v.next.last_head = head.head;
        v.next.last_ts = *ts;
    }
    return v;  // still broken if it was: broken is for an operator to clear
}

}  // namespace sealwatch::county
