#include "uplink/mqtt_link.hpp"

#include <chrono>
#include <cstring>
#include <random>

#include <mosquitto.h>

#include "common/log.hpp"

namespace sealwatch::uplink {

namespace {

// libmosquitto keeps global state (OpenSSL) that must be set up once per process.
struct LibInit {
    LibInit() { mosquitto_lib_init(); }
    ~LibInit() { mosquitto_lib_cleanup(); }
};

void ensure_lib() {
    static LibInit init;
}

const char* connack_text(int rc) {
    return mosquitto_connack_string(rc);
}

}  // namespace

MqttLink::MqttLink(LinkSettings settings, Notify notify)
    : settings_(std::move(settings)), notify_(std::move(notify)) {}

MqttLink::~MqttLink() {
    stop();
    if (mosq_) mosquitto_destroy(mosq_);
}

Result<void> MqttLink::start() {
    ensure_lib();
    mosq_ = mosquitto_new(settings_.client_id.c_str(), settings_.clean_session, this);
    if (!mosq_) return fail("mqtt: cannot create a client: " + std::string(std::strerror(errno)));
    mosquitto_threaded_set(mosq_, true);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_max_inflight_messages_set(mosq_, static_cast<unsigned>(settings_.max_inflight));
    mosquitto_connect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
        static_cast<MqttLink*>(self)->on_connect(rc);
    });
    mosquitto_disconnect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
        static_cast<MqttLink*>(self)->on_disconnect(rc);
    });
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int mid) {
        static_cast<MqttLink*>(self)->on_publish(mid);
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
        static_cast<MqttLink*>(self)->on_message(m->topic, m->payload, m->payloadlen);
    });
    mosquitto_log_callback_set(mosq_, [](mosquitto*, void* self, int level, const char* text) {
        static_cast<MqttLink*>(self)->on_log(level, text);
    });
    if (!settings_.username.empty()) {
        int rc = mosquitto_username_pw_set(
            mosq_, settings_.username.c_str(),
            settings_.password.empty() ? nullptr : settings_.password.c_str());
        if (rc != MOSQ_ERR_SUCCESS)
            return fail(std::string("mqtt credentials: ") + mosquitto_strerror(rc));
    }
    if (settings_.tls) {
        // The broker's certificate is verified against ca_file, hostname included (libmosquitto
        // checks it unless told otherwise, which this agent never does).
        int rc = mosquitto_tls_set(
            mosq_, settings_.ca_file.c_str(), nullptr,
            settings_.cert_file.empty() ? nullptr : settings_.cert_file.c_str(),
            settings_.key_file.empty() ? nullptr : settings_.key_file.c_str(), nullptr);
        if (rc != MOSQ_ERR_SUCCESS)
            return fail(std::string("mqtt TLS setup: ") + mosquitto_strerror(rc) +
                        " (check ca_file, cert_file, key_file)");
        rc = mosquitto_tls_opts_set(mosq_, 1 /* SSL_VERIFY_PEER */, "tlsv1.2", nullptr);
        if (rc != MOSQ_ERR_SUCCESS)
            return fail(std::string("mqtt TLS options: ") + mosquitto_strerror(rc));
    }
    if (auto r = set_will(); !r) return r;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
    return {};
}

Result<void> MqttLink::set_will() {
    // The will must be set before connecting (again before each attempt, so its ts is that of
    // the connection it belongs to); after each CONNACK we publish "online" retained, because
    // the will (or a previous run) may have left "offline" there.
    if (settings_.status_topic.empty() || !settings_.status_payload) return {};
    std::string will = settings_.status_payload(false);
    int rc = mosquitto_will_set(mosq_, settings_.status_topic.c_str(),
                                static_cast<int>(will.size()), will.data(), 1, true);
    if (rc != MOSQ_ERR_SUCCESS) return fail(std::string("mqtt will: ") + mosquitto_strerror(rc));
    return {};
}

void MqttLink::stop() {
    if (!thread_.joinable()) return;
    if (connected_ && settings_.status_payload && !settings_.status_topic.empty()) {
        std::string offline_payload = settings_.status_payload(false);
        int mid = 0;
        mosquitto_publish(mosq_, &mid, settings_.status_topic.c_str(),
                          static_cast<int>(offline_payload.size()), offline_payload.data(), 1,
                          true);
        // Give the network thread a moment to put it on the wire before DISCONNECT.
        for (int i = 0; i < 20 && mosquitto_want_write(mosq_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    mosquitto_disconnect(mosq_);
    thread_.join();
    connected_ = false;
}

Result<int> MqttLink::publish(const std::string& topic, const std::string& payload, bool retain) {
    int mid = 0;
    int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                               payload.data(), 1, retain);
    if (rc != MOSQ_ERR_SUCCESS) return fail(std::string("publish: ") + mosquitto_strerror(rc));
    return mid;
}

void MqttLink::sleep_backoff() {
    // Exponential with full jitter, so that hundreds of gateways coming back after a county-wide
    // outage do not knock on the broker in step.
    static thread_local std::mt19937 rng{std::random_device{}()};
    backoff_ms_ = backoff_ms_ == 0 ? settings_.backoff_min_ms
                                   : std::min(backoff_ms_ * 2, settings_.backoff_max_ms);
    std::uniform_int_distribution<int> pick(backoff_ms_ / 2, backoff_ms_);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(pick(rng)), [&] { return stopping_.load(); });
}

void MqttLink::connect_failed(const std::string& reason) {
    std::string why = reason;
    if (!last_lib_error_.empty()) why += ": " + last_lib_error_;
    if (why != last_error_) {
        log::warning("uplink: cannot connect to ", settings_.host, ":", settings_.port, ": ", why,
                     " (keeps buffering; retrying with backoff)");
        last_error_ = why;
        notify_({LinkNote::Kind::refused, 0, why});
    }
}

void MqttLink::run() {
    bool ever_tried = false;
    bool socket_up = false;
    while (!stopping_) {
        if (!socket_up) {
            last_lib_error_.clear();
            if (auto r = set_will(); !r) log::warning("uplink: ", r.error().message);
            int rc = ever_tried ? mosquitto_reconnect(mosq_)
                                : mosquitto_connect(mosq_, settings_.host.c_str(), settings_.port,
                                                    settings_.keepalive_s);
            ever_tried = true;
            if (rc != MOSQ_ERR_SUCCESS) {
                connect_failed(rc == MOSQ_ERR_ERRNO ? std::strerror(errno)
                                                    : mosquitto_strerror(rc));
                sleep_backoff();
                continue;
            }
            socket_up = true;
            got_connack_ = false;
        }
        int rc = mosquitto_loop(mosq_, 200, 1);
        if (rc != MOSQ_ERR_SUCCESS && !stopping_) {
            socket_up = false;
            std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
            if (got_connack_) {
                // Usually on_disconnect has said so already; if not, say it here.
                if (connected_.exchange(false)) {
                    log::warning("uplink: connection lost: ", why);
                    notify_({LinkNote::Kind::disconnected, 0, why});
                }
            } else {
                // Lost before any CONNACK: a TLS handshake that failed, or a broker that closed
                // the socket on us (a client certificate it does not accept).
                connect_failed(why);
            }
            sleep_backoff();
        }
    }
    // Drain the DISCONNECT sent by stop().
    for (int i = 0; i < 5 && mosquitto_want_write(mosq_); ++i) mosquitto_loop(mosq_, 50, 1);
}

void MqttLink::on_connect(int rc) {
    if (rc != 0) {
        std::string why = std::string("broker refused: ") + connack_text(rc);
        if (why != last_error_) {
            log::warning("uplink: ", why);
            last_error_ = why;
        }
        notify_({LinkNote::Kind::refused, 0, why});
        return;
    }
    backoff_ms_ = 0;
    got_connack_ = true;
    last_error_.clear();
    if (!settings_.status_topic.empty() && settings_.status_payload) {
        std::string online = settings_.status_payload(true);
        int mid = 0;
        mosquitto_publish(mosq_, &mid, settings_.status_topic.c_str(),
                          static_cast<int>(online.size()), online.data(), 1, true);
    }
    for (const auto& filter : settings_.subscriptions) {
        int rc_sub = mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1);
        if (rc_sub != MOSQ_ERR_SUCCESS)
            log::warning("uplink: cannot subscribe to ", filter, ": ", mosquitto_strerror(rc_sub));
    }
    connected_ = true;
    log::info("uplink: connected to ", settings_.host, ":", settings_.port);
    notify_({LinkNote::Kind::connected, 0, {}});
}

void MqttLink::on_disconnect(int rc) {
    if (rc == 0) return;  // our own clean disconnect
    if (connected_.exchange(false)) {
        log::warning("uplink: disconnected (", mosquitto_strerror(rc), ")");
        notify_({LinkNote::Kind::disconnected, 0, mosquitto_strerror(rc)});
    }
}

void MqttLink::on_publish(int mid) {
    notify_({LinkNote::Kind::acked, mid, {}});
}

void MqttLink::on_message(const char* topic, const void* payload, int length) {
    LinkNote note{LinkNote::Kind::message, 0, {}, topic ? topic : "", {}};
    size_t keep =
        std::min(static_cast<size_t>(std::max(length, 0)), settings_.max_message_bytes + 1);
    if (payload) note.payload.assign(static_cast<const char*>(payload), keep);
    notify_(note);
}

void MqttLink::on_log(int level, const char* text) {
    // libmosquitto says why a TLS handshake failed only through its log.
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) last_lib_error_ = text ? text : "";
}

}  // namespace sealwatch::uplink
