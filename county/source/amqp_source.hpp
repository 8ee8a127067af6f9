#pragma once
// `run` as a consumer on a RabbitMQ quorum queue over AMQP 0-9-1 (librabbitmq), for the cluster
// path of docs/county.md: gateways publish over MQTT to any node of the cluster, RabbitMQ's MQTT
// plugin routes their messages through amq.topic into the queue, and one or more `run`s
// (competing consumers) take them from it.
//
// - One thread owns the connection (librabbitmq is not thread-safe): connect, log in, check
//   that the queue exists (a passive declare: the queue is the operator's, declared with its
//   binding before the first gateway connects), basic.qos prefetch, basic.consume with manual
//   acknowledgement, then one delivery at a time: deliver, and basic.ack only once `deliver`
//   has returned (committed). A delivery that is not acknowledged (a kill -9, a lost
//   connection, a failed store) is delivered again by RabbitMQ, to this instance or another;
//   the store makes a message received twice a no-op.
// - A lost connection (the node stopped, the network, a heartbeat missed) is retried with
//   jittered exponential backoff, on the next URL of the list: each node of the cluster serves
//   the queue.
// - stop() cancels the consumer, hands over and acknowledges what the node had already sent
//   (the prefetch), then closes the channel and the connection.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "county/config.hpp"
#include "county/source/amqp_url.hpp"
#include "county/source/source.hpp"

namespace sealwatch::county {

// The MQTT topic a message was published on, from the routing key RabbitMQ's MQTT plugin made of
// it: the plugin (3.10) turns each '/' into '.' and leaves a '.' as it is, so a '.' goes back to
// '/'. That is exact for the gateways' topics, which hold no '.' of their own (ids are
// [A-Za-z0-9_-], and the config refuses a prefix with one); a topic with a '.' comes back with a
// '/' there, which ingest then refuses as not a gateway topic.
std::string topic_of_routing_key(std::string_view routing_key);

class AmqpSource final : public Source {
  public:
    struct Backoff {
        int min_ms = 500;
        int max_ms = 30000;
    };

    AmqpSource(AmqpSettings settings, Backoff backoff);
    explicit AmqpSource(AmqpSettings settings) : AmqpSource(std::move(settings), Backoff{}) {}
    ~AmqpSource() override;  // stop()
    AmqpSource(const AmqpSource&) = delete;
    AmqpSource& operator=(const AmqpSource&) = delete;

    Result<void> start(Deliver deliver) override;  // an error only for a URL that cannot parse
    void stop() override;
    std::string describe() const override;

  private:
    class Session;
    void run();
    void sleep_backoff();
    // Logged once until the reason changes (a node down for an hour is one line, not 7,000).
    void trouble(const AmqpUrl& url, const std::string& why);

    AmqpSettings settings_;
    Backoff backoff_;
    std::vector<AmqpUrl> urls_;
    Deliver deliver_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> failed_{false};  // the store failed: no more deliveries, no reconnect
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
    int backoff_ms_ = 0;
    std::string last_trouble_;
};

}  // namespace sealwatch::county
