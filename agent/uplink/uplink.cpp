#include "uplink/uplink.hpp"

#include "common/log.hpp"

namespace sealwatch::uplink {

Uplink::Uplink(store::Store& store, Link& link, wire::Topics topics, PumpOptions options)
    : store_(store), link_(link), topics_(std::move(topics)), options_(options) {
    // Whatever was in flight when the agent last stopped (or died) goes again, same seq, same
    // content; libmosquitto's own queue did not survive the process.
    if (auto rows = store_.unacked()) {
        resend_.assign(rows->begin(), rows->end());
        if (!resend_.empty())
            log::info("uplink: ", resend_.size(),
                      " unacknowledged message(s) from before, from seq ", resend_.front().seq);
    } else {
        log::error("uplink: cannot read the outbox: ", rows.error().message);
    }
}

Result<void> Uplink::apply_acks() {
    if (acked_.empty()) return {};
    if (auto r = store_.acked(acked_); !r) return r;
    acked_.clear();
    return {};
}

void Uplink::on_note(const LinkNote& note) {
    switch (note.kind) {
        case LinkNote::Kind::connected:
            connected_ = true;
            break;
        case LinkNote::Kind::disconnected:
        case LinkNote::Kind::refused:
            connected_ = false;
            break;
        case LinkNote::Kind::acked: {
            auto it = in_flight_.find(note.mid);
            if (it == in_flight_.end()) break;  // e.g. the retained status message
            acked_.push_back(it->second);
            in_flight_.erase(it);
            break;
        }
        case LinkNote::Kind::message:
            break;  // county commands: not the pump's (daemon/commands)
    }
}

Result<bool> Uplink::send(const store::OutboxRow& row) {
    auto payload = store_.payload(row);
    if (!payload) return tl::unexpected(payload.error());
    const auto& topic = row.kind == store::MessageKind::event ? topics_.event : topics_.telemetry;
    auto mid = link_.publish(topic, *payload, false);
    if (!mid) {
        resend_.push_front(row);  // keep its place; try again when connected
        connected_ = false;
        return false;
    }
    in_flight_[*mid] = row.seq;
    return true;
}

size_t Uplink::room() const {
    const bool can_send = connected_ && link_.connected();
    return can_send && resend_.empty() && in_flight_.size() < options_.window
               ? options_.window - in_flight_.size()
               : 0;
}

Result<void> Uplink::pump(WallMs now) {
    if (hand_over_error_) {
        Error e = std::move(*hand_over_error_);
        hand_over_error_.reset();
        return tl::unexpected(std::move(e));
    }
    const bool can_send = connected_ && link_.connected();
    // Messages found unacknowledged at start go first, as they are (same seq, same content).
    while (can_send && !resend_.empty() && in_flight_.size() < options_.window) {
        auto row = resend_.front();
        resend_.pop_front();
        auto sent = send(row);
        if (!sent) return tl::unexpected(sent.error());
        if (!*sent) return {};
    }
    if (acked_.empty()) acked_since_ = now;
    const bool acks_due =
        !acked_.empty() && (acked_.size() >= options_.window || now - acked_since_ >= kAckHoldMs);
    const size_t free = room();
    if (free == 0 && !acks_due) return {};
    // One transaction: the acknowledged rows go, the new messages get their seqs (events
    // first, then rollups of data that could not wait, then raw telemetry), one fsync.
    store::Store::FormLimits limits{free, options_.batch_max_readings,
                                    now - options_.batch_max_delay_ms, acks_due};
    auto rows = store_.form_messages(limits, acked_);
    if (!rows) return tl::unexpected(rows.error());
    if (!rows->empty() || acks_due) acked_.clear();  // else they were not applied
    return hand_over(*rows);
}

Result<void> Uplink::fold(WallMs now, const store::Store::Fold& batch, int64_t next_fold_ms) {
    store::Store::FormLimits limits{room(), options_.batch_max_readings,
                                    now + next_fold_ms - options_.batch_max_delay_ms, true};
    auto rows = store_.fold_and_form(batch, limits, acked_);
    if (!rows) return tl::unexpected(rows.error());
    acked_.clear();
    if (auto sent = hand_over(*rows); !sent) hand_over_error_ = sent.error();
    return {};
}

Result<void> Uplink::hand_over(const std::vector<store::OutboxRow>& rows) {
    for (const auto& row : rows) {
        auto sent = send(row);
        if (!sent) return tl::unexpected(sent.error());
        if (!*sent) {
            // The link went down between forming and handing over: the rest keep their seqs
            // and go first when it is back.
            for (auto it = rows.begin() + (&row - rows.data()) + 1; it != rows.end(); ++it)
                resend_.push_back(*it);
            break;
        }
    }
    return {};
}

}  // namespace sealwatch::uplink
