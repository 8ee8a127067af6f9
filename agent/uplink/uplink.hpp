#pragma once
// Store-and-forward: moves outbox messages from the store to the broker. Runs on the thread that
// owns the store. Forms a message (which commits its seq) only when it can be handed over at
// once — connected, and fewer than `window` messages in flight — so a long outage costs disk,
// not RAM, and events always go ahead of a telemetry backlog.
#include <cstdint>
#include <deque>
#include <map>
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
    // Hands over as many messages as the window allows; applies the acknowledgements received.
    Result<void> pump(WallMs now);

    size_t in_flight() const { return in_flight_.size(); }

  private:
    Result<bool> send(const store::OutboxRow& row);

    store::Store& store_;
    Link& link_;
    wire::Topics topics_;
    PumpOptions options_;
    bool connected_ = false;
    std::deque<store::OutboxRow> resend_;  // unacknowledged rows found at start
    std::map<int, uint64_t> in_flight_;    // mid -> seq
    std::vector<uint64_t> acked_;          // waiting to be deleted from the outbox
};

}  // namespace sealwatch::uplink
