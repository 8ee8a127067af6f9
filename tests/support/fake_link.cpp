#include "support/fake_link.hpp"

#include <algorithm>

namespace sealwatch::test_support {

using uplink::LinkNote;

void FakeLink::accept() {
    connected_ = true;
    notify_({LinkNote::Kind::connected, 0, {}});
    // As libmosquitto does after a reconnect: what was in flight goes to the broker again.
    for (int mid : in_flight_)
        if (const auto* m = find(mid)) delivered_.push_back(*m);
}

void FakeLink::drop(const std::string& reason) {
    if (!connected_) return;
    connected_ = false;
    notify_({LinkNote::Kind::disconnected, 0, reason});
}

void FakeLink::refuse(const std::string& reason) {
    notify_({LinkNote::Kind::refused, 0, reason});
}

void FakeLink::ack(int mid) {
    auto it = std::find(in_flight_.begin(), in_flight_.end(), mid);
    if (it == in_flight_.end()) return;
    in_flight_.erase(it);
    notify_({LinkNote::Kind::acked, mid, {}});
}

void FakeLink::ack_all() {
    for (int mid : std::vector<int>(in_flight_)) ack(mid);
}

Result<int> FakeLink::publish(const std::string& topic, const std::string& payload, bool retain) {
    // As libmosquitto: a message handed over without a connection is refused, not kept.
    if (!connected_) return fail("publish: The client is not currently connected.");
    if (fail_publishes_) return fail("publish: the client's queue is full");
    Message m{next_mid_++, topic, payload, retain};
    published_.push_back(m);
    delivered_.push_back(m);
    in_flight_.push_back(m.mid);
    return m.mid;
}

const FakeLink::Message* FakeLink::find(int mid) const {
    for (const auto& m : published_)
        if (m.mid == mid) return &m;
    return nullptr;
}

}  // namespace sealwatch::test_support
