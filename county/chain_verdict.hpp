#pragma once
// The county's verdict on a gateway's signed chain head (P/chain; docs/protocol.md): pure, the
// record so far and the new head in, the next record out.
//
// What the county can check with heads alone (the entries are on the gateway): the signature,
// with the key pinned on the first good head; that the gateway speaks of itself; and that heads
// only move forward: one head per n, and no head signed later with a smaller n (a rewound
// database). A head that fails one of these, signed or claimed by the pinned key, makes the
// chain `broken`, and stays so: only an operator who re-registers the gateway clears it. Whether
// the entries between two heads link up is for `sealwatch verify` on an exported bundle.
#include <optional>
#include <string>

#include "county/store/store.hpp"
#include "wire/chain_head.hpp"

namespace sealwatch::county {

struct HeadVerdict {
    enum class Kind {
        pinned,     // first good head: key pinned, chain verified
        advanced,   // a good head beyond (or a late one before) the furthest
        duplicate,  // a head already held (a retained one re-delivered)
        broke,      // this head broke the chain (reason in next.reason)
        ignored,    // unsigned, or not good and nothing pinned: proves nothing either way
    };
    Kind kind = Kind::ignored;
    ChainRecord next;   // what to store (== prior for duplicate and ignored)
    bool keep = false;  // store the head (it verifies with the pinned key)
    std::string why;    // for ignored: what was wrong with it
};

// `held`: the head the county already has at head.n, if any.
HeadVerdict judge_head(const ChainRecord& prior, const std::string& topic_gateway,
                       const wire::ChainHead& head, const std::optional<HeadRecord>& held);

}  // namespace sealwatch::county
