#pragma once
// Where `sealwatch-county run` takes the gateways' messages from, behind one interface
// (docs/county.md, "Where messages come from"):
//   MqttSource  a persistent MQTT subscription to <topic_prefix>/# (the default, [broker])
//   AmqpSource  a consumer on a RabbitMQ quorum queue over AMQP 0-9-1 ([source] kind = "amqp")
//
// A source hands each message to `deliver` on a thread of its own, one at a time, and goes on
// to the next only when `deliver` has returned. `deliver` returns once the message is committed
// to the store: a source that can acknowledge late (AMQP) acknowledges only then, so a message
// is never acknowledged before it is on disk. An error from `deliver` (the store failed) stops
// the source: that message is not acknowledged, and nothing more is handed over.
#include <functional>
#include <memory>
#include <string>

#include "common/error.hpp"

namespace sealwatch::county {

struct Config;

// One message of a gateway: its MQTT topic (<prefix>/<site>/<gateway>/<kind>…) and its bytes.
struct SourceMessage {
    std::string topic;
    std::string payload;
};

using Deliver = std::function<Result<void>(const SourceMessage&)>;

class Source {
  public:
    virtual ~Source() = default;

    // Starts the source's thread, which connects (and reconnects, with backoff) in the
    // background. An error only for settings that can never work.
    virtual Result<void> start(Deliver deliver) = 0;
    // Clean stop: the message in `deliver` is finished (and acknowledged), no further one is
    // taken, the connection is closed, the thread joined. What the broker had sent ahead and
    // was not handed over stays the broker's: it is delivered again (to another instance).
    virtual void stop() = 0;
    // For the log: where it reads from, without credentials.
    virtual std::string describe() const = 0;
};

// The source the config names ([source] kind; MQTT when absent).
std::unique_ptr<Source> make_source(const Config& config);

}  // namespace sealwatch::county
