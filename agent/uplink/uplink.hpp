#pragma once
// Store-and-forward: moves outbox messages from the store to the broker. Runs on the thread that
// owns the store. Forms a message (which commits its seq) only when it can be handed over at
// once — connected, and fewer than `window` messages in flight — so a long outage costs disk,
// not RAM, and events always go ahead of a telemetry backlog.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "uplink/link.hpp"
#include "wire/topics.hpp"

namespace sealwatch::uplink {

struct PumpOptions {
    size_t batch_max_readings = 200;    // readings per telemetry message
    int64_t batch_max_delay_ms = 1000;  // a smaller batch goes once its oldest reading is this old
    size_t window = 32;                 // messages handed to libmosquitto and not yet acknowledged
};

class Uplink {
  public:
    Uplink(store::Store& store, Link& link, wire::Topics topics, PumpOptions options);

    void on_note(const LinkNote& note);  // from the link, via the owner's queue
    // Hands over as many messages as the window allows. Acknowledgements ride on the next
    // commit that forms messages; alone they are committed only once kAckHoldMs old or a
    // window's worth (a re-sent message after a kill is QoS 1's duplicate, same seq and bytes).
    // Also returns what went wrong handing over the messages of the last fold.
    Result<void> pump(WallMs now);
    // A flush: stores the readings batch and, in the same transaction (one commit, one fsync),
    // forms the messages that can leave now and applies the acknowledgements. The batch's
    // telemetry leaves at once unless the next flush, next_fold_ms from now, still comes before
    // its oldest reading is batch_max_delay_ms old. An error: nothing was stored.
    Result<void> fold(WallMs now, const store::Store::Fold& batch, int64_t next_fold_ms);

    // Applies the acknowledgements still held (see pump) now: at a clean stop, so that none
    // is sent again after it.
    Result<void> apply_acks();

    static constexpr int64_t kAckHoldMs = 5000;

    size_t in_flight() const { return in_flight_.size(); }

  private:
    Result<bool> send(const store::OutboxRow& row);
    // Free places in the window (0 while disconnected or re-sending).
    size_t room() const;
    Result<void> hand_over(const std::vector<store::OutboxRow>& rows);

    store::Store& store_;
    Link& link_;
    wire::Topics topics_;
    PumpOptions options_;
    bool connected_ = false;
    std::deque<store::OutboxRow> resend_;   // unacknowledged rows found at start
    std::map<int, uint64_t> in_flight_;     // mid -> seq
    std::vector<uint64_t> acked_;           // waiting to be deleted from the outbox
    WallMs acked_since_ = 0;                // when a pump first saw the oldest of them
    std::optional<Error> hand_over_error_;  // of the last fold, for the next pump to return
};

}  // namespace sealwatch::uplink
