#include "uplink/uplink.hpp"

#include "common/log.hpp"

namespace sealwatch::uplink {

Topics Topics::for_gateway(const std::string& prefix, const std::string& site,
                           const std::string& gateway) {
    std::string p = prefix + "/" + site + "/" + gateway;
    return {p + "/telemetry", p + "/event", p + "/status"};
}

Uplink::Uplink(store::Store& store, MqttLink& link, Topics topics, PumpOptions options)
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
    }
}

Result<bool> Uplink::send(const store::OutboxRow& row) {
    auto payload = store_.payload(row);
    if (!payload) return tl::unexpected(payload.error());
    const auto& topic = row.kind == store::MessageKind::event ? topics_.event : topics_.telemetry;
    auto mid = link_.publish(topic, *payload);
    if (!mid) {
        resend_.push_front(row);  // keep its place; try again when connected
        connected_ = false;
        return false;
    }
    in_flight_[*mid] = row.seq;
    return true;
}

Result<void> Uplink::pump(WallMs now) {
    if (!acked_.empty()) {
        if (auto r = store_.acked(acked_); !r) return r;
        acked_total_ += acked_.size();
        acked_.clear();
    }
    while (connected_ && link_.connected() && in_flight_.size() < options_.window) {
        std::optional<store::OutboxRow> row;
        if (!resend_.empty()) {
            row = resend_.front();
            resend_.pop_front();
        } else {
            // Events first, then rollups of data that could not wait, then raw telemetry.
            auto ev = store_.form_event_message();
            if (!ev) return tl::unexpected(ev.error());
            row = *ev;
            if (!row) {
                auto ru = store_.form_rollup_message(options_.batch_max_readings);
                if (!ru) return tl::unexpected(ru.error());
                row = *ru;
            }
            if (!row) {
                auto te = store_.form_telemetry_message(options_.batch_max_readings,
                                                        now - options_.batch_max_delay_ms);
                if (!te) return tl::unexpected(te.error());
                row = *te;
            }
        }
        if (!row) break;
        auto sent = send(*row);
        if (!sent) return tl::unexpected(sent.error());
        if (!*sent) break;
    }
    return {};
}

}  // namespace sealwatch::uplink
