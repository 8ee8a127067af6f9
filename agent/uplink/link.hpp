#pragma once
// The connection to the broker as the uplink pump sees it: QoS 1 publishes that are
// acknowledged later, and notes of what happens to the connection. Two implementations keep the
// same contract: MqttLink over libmosquitto (uplink/mqtt_link.hpp) and a scripted fake for tests
// (tests/support/fake_link.hpp); tests/unit/test_link_contract.cpp holds both to it.
#include <functional>
#include <string>

#include "common/error.hpp"

namespace sealwatch::uplink {

// What the link reports, through a callback the owner gives it (for MqttLink, called on its
// network thread: keep it short, e.g. push to a queue).
struct LinkNote {
    enum class Kind { connected, disconnected, acked, refused, message };
    Kind kind;
    int mid = 0;            // acked
    std::string reason;     // disconnected, refused
    std::string topic{};    // message
    std::string payload{};  // message (cut after the link's size limit + 1 byte, see LinkSettings)
};
using Notify = std::function<void(const LinkNote&)>;

// The contract:
// - `connected` comes after every (re)connect the broker accepted, `disconnected` when an
//   accepted connection is lost, `refused` when a connect fails (once per distinct reason).
// - publish() returns a message id; its PUBACK is reported once as `acked` with that id.
//   Without a connection publish() fails and the message is not kept.
// - A message handed over and not yet acknowledged is delivered by the link itself after a
//   reconnect: the caller must not hand it over again while the link lives.
// - `message` for each message that arrives on the link's subscriptions (QoS 1, subscribed
//   again after every connect, whether the session is clean or kept).
class Link {
  public:
    virtual ~Link() = default;
    // QoS 1 publish; returns the message id whose PUBACK will be reported as acked.
    virtual Result<int> publish(const std::string& topic, const std::string& payload,
                                bool retain) = 0;
    virtual bool connected() const = 0;
};

}  // namespace sealwatch::uplink
