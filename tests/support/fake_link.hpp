#pragma once
// A scripted broker connection for unit tests, behind the same uplink::Link contract as
// MqttLink (tests/unit/test_link_contract.cpp holds both to it). The test plays the broker:
// it accepts or drops the connection and acknowledges messages when it likes; the notes go to
// the owner's callback at once, on the caller's thread. Test-only: never linked into programs.
#include <string>
#include <vector>

#include "uplink/link.hpp"

namespace sealwatch::test_support {

class FakeLink final : public uplink::Link {
  public:
    struct Message {
        int mid;
        std::string topic;
        std::string payload;
        bool retain;
    };

    explicit FakeLink(uplink::Notify notify) : notify_(std::move(notify)) {}

    // The broker side.
    void accept();  // a connection is accepted: `connected`; messages in flight go again
    void drop(const std::string& reason = "connection lost");  // `disconnected`
    void refuse(const std::string& reason);                    // a connect failed: `refused`
    void ack(int mid);  // the PUBACK of a message in flight: `acked`, once
    void ack_all();
    // Publishes fail, as a full libmosquitto queue or a closed socket makes them fail.
    void fail_publishes(bool fail) { fail_publishes_ = fail; }

    // What the owner handed over, in order (a redelivery by the link is not a new hand-over).
    const std::vector<Message>& published() const { return published_; }
    // What went to the broker: every hand-over, and again whatever was in flight at a reconnect.
    const std::vector<Message>& delivered() const { return delivered_; }
    std::vector<int> in_flight() const { return in_flight_; }

    Result<int> publish(const std::string& topic, const std::string& payload, bool retain) override;
    bool connected() const override { return connected_; }

  private:
    const Message* find(int mid) const;

    uplink::Notify notify_;
    bool connected_ = false;
    bool fail_publishes_ = false;
    int next_mid_ = 1;
    std::vector<Message> published_;
    std::vector<Message> delivered_;
    std::vector<int> in_flight_;
};

}  // namespace sealwatch::test_support
