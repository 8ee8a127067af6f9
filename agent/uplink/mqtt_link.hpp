#pragma once
// The MQTT connection to the county office (the real uplink::Link), over libmosquitto, with a
// network thread of its own
// that connects, reconnects with jittered exponential backoff, and reports what happens through
// a callback (called on that thread: keep it short, e.g. push to a queue).
//
// Publishing is thread-safe. QoS 1 messages handed over stay in libmosquitto until PUBACK and
// are re-sent by it after a reconnect, so the caller must not hand them over again while this
// object lives; after a restart only the caller's outbox knows them.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "uplink/link.hpp"

struct mosquitto;

namespace sealwatch::uplink {

struct LinkSettings {
    std::string host;
    int port = 8883;
    std::string client_id;
    int keepalive_s = 30;
    std::string username, password;
    bool tls = false;
    std::string ca_file, cert_file, key_file;
    // P/status: retained; the will says offline. Empty for a client that announces nothing
    // (the county side): no will, no online message.
    std::string status_topic;
    // The P/status payload, made when it is needed so that its ts is true: status_payload(true)
    // is published retained after every CONNACK; status_payload(false) becomes the will before
    // every connection attempt (a will is fixed when the connection is made, so its ts says when
    // the connection that later ended began; the broker sends it unchanged).
    std::function<std::string(bool online)> status_payload;
    // false: a persistent session, so the broker keeps the subscriptions and queues QoS 1
    // messages while the client is away (needs a stable client_id). What a subscriber that must
    // not lose a message across a restart uses (sealwatch-county run); the agent's is clean.
    bool clean_session = true;
    int max_inflight = 32;
    int backoff_min_ms = 1000;
    int backoff_max_ms = 60000;
    // Topic filters subscribed (QoS 1) after every CONNACK; what arrives is a `message` note.
    // A payload longer than max_message_bytes is passed on cut to max_message_bytes + 1, so
    // the receiver sees that it was too long without a second copy of all of it.
    std::vector<std::string> subscriptions;
    size_t max_message_bytes = size_t{16} * 1024;
};

class MqttLink final : public Link {
  public:
    MqttLink(LinkSettings settings, Notify notify);
    ~MqttLink() override;  // stop()
    MqttLink(const MqttLink&) = delete;
    MqttLink& operator=(const MqttLink&) = delete;

    Result<void> start();  // sets up TLS and the will; the thread then connects in the background
    // Publishes status_payload(false) (retained) if there is one, disconnects cleanly, joins
    // the thread.
    void stop();

    Result<int> publish(const std::string& topic, const std::string& payload, bool retain) override;
    bool connected() const override { return connected_; }

  private:
    void run();
    Result<void> set_will();  // the will for the next connection attempt (status_payload(false))
    void sleep_backoff();
    void connect_failed(const std::string& reason);  // logged once per distinct reason
    void on_connect(int rc);
    void on_disconnect(int rc);
    void on_publish(int mid);
    void on_message(const char* topic, const void* payload, int length);
    void on_log(int level, const char* text);

    LinkSettings settings_;
    Notify notify_;
    mosquitto* mosq_ = nullptr;
    std::atomic<bool> connected_{false};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
    int backoff_ms_ = 0;
    bool got_connack_ = false;  // on this socket; network thread only
    std::string last_error_;    // logged once until it changes
    std::string last_lib_error_;
};

}  // namespace sealwatch::uplink
