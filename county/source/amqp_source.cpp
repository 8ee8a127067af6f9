#include "county/source/amqp_source.hpp"

#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <random>

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

#include "common/log.hpp"

namespace sealwatch::county {

namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;        // RabbitMQ's default
constexpr int kConnectTimeoutS = 5;      // TCP connect
constexpr int kRpcTimeoutS = 15;         // login, declare, qos, consume, cancel
constexpr suseconds_t kPollUs = 200000;  // how often the consumer looks at stop()

std::string_view text_of(amqp_bytes_t bytes) {
    return {static_cast<const char*>(bytes.bytes), bytes.len};
}

// Why an AMQP call failed, in words: the library's, or the broker's reply code and text.
std::string reason(const amqp_rpc_reply_t& reply) {
    switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return "no error";
        case AMQP_RESPONSE_NONE:
            return "the connection was closed";
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return amqp_error_string2(reply.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                const auto* m = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
                return "the broker closed the connection: " + std::to_string(m->reply_code) + " " +
                       std::string(text_of(m->reply_text));
            }
            if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                const auto* m = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
                return "the broker closed the channel: " + std::to_string(m->reply_code) + " " +
                       std::string(text_of(m->reply_text));
            }
            return "the broker answered with an unexpected method";
    }
    return "unknown failure";
}

bool is_not_found(const amqp_rpc_reply_t& reply) {
    return reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
           reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
           static_cast<const amqp_channel_close_t*>(reply.reply.decoded)->reply_code ==
               AMQP_NOT_FOUND;
}

}  // namespace

std::string topic_of_routing_key(std::string_view routing_key) {
    std::string topic(routing_key);
    std::replace(topic.begin(), topic.end(), '.', '/');
    return topic;
}

// One connection to one node, from connect to its end. The connection is the thread's alone.
class AmqpSource::Session {
  public:
    Session(const AmqpSettings& settings, const AmqpUrl& url)
        : settings_(settings), url_(url), conn_(amqp_new_connection()) {}
    ~Session() {
        if (open_) {
            amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
            amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
        }
        if (conn_ != nullptr) amqp_destroy_connection(conn_);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Connect, log in, open the channel, check the queue, start consuming.
    Result<void> open() {
        if (conn_ == nullptr) return fail("out of memory");
        auto socket = url_.tls ? tls_socket() : Result<amqp_socket_t*>(amqp_tcp_socket_new(conn_));
        if (!socket) return fail(socket.error().message);
        if (*socket == nullptr) return fail("cannot make a socket");
        timeval connect_timeout{kConnectTimeoutS, 0};
        if (int rc =
                amqp_socket_open_noblock(*socket, url_.host.c_str(), url_.port, &connect_timeout);
            rc != AMQP_STATUS_OK)
            return fail(std::string("cannot connect: ") + amqp_error_string2(rc));
        timeval rpc_timeout{kRpcTimeoutS, 0};
        amqp_set_handshake_timeout(conn_, &rpc_timeout);
        amqp_set_rpc_timeout(conn_, &rpc_timeout);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): librabbitmq's login is variadic
        auto r = amqp_login(conn_, url_.vhost.c_str(), 0, kFrameMax, settings_.heartbeat_s,
                            AMQP_SASL_METHOD_PLAIN, url_.user.c_str(), url_.password.c_str());
        if (r.reply_type != AMQP_RESPONSE_NORMAL) return fail("login: " + reason(r));
        amqp_channel_open(conn_, kChannel);
        if (r = amqp_get_rpc_reply(conn_); r.reply_type != AMQP_RESPONSE_NORMAL)
            return fail("channel: " + reason(r));
        open_ = true;
        const amqp_bytes_t queue = amqp_cstring_bytes(settings_.queue.c_str());
        amqp_queue_declare(conn_, kChannel, queue, /*passive=*/1, 0, 0, 0, amqp_empty_table);
        if (r = amqp_get_rpc_reply(conn_); r.reply_type != AMQP_RESPONSE_NORMAL) {
            if (is_not_found(r))
                return fail("queue '" + settings_.queue +
                            "' does not exist: declare it, and its binding, before the gateways "
                            "connect (docs/county.md)");
            return fail("queue '" + settings_.queue + "': " + reason(r));
        }
        amqp_basic_qos(conn_, kChannel, 0, static_cast<uint16_t>(settings_.prefetch), 0);
        if (r = amqp_get_rpc_reply(conn_); r.reply_type != AMQP_RESPONSE_NORMAL)
            return fail("basic.qos: " + reason(r));
        const auto* ok = amqp_basic_consume(conn_, kChannel, queue, amqp_empty_bytes, 0,
                                            /*no_ack=*/0, 0, amqp_empty_table);
        if (r = amqp_get_rpc_reply(conn_); ok == nullptr || r.reply_type != AMQP_RESPONSE_NORMAL)
            return fail("basic.consume: " + reason(r));
        consumer_tag_ = std::string(text_of(ok->consumer_tag));
        return {};
    }

    enum class Took { one, none, store_failed };

    // The next delivery handed over and, once committed, acknowledged; `none` when nothing
    // came within `timeout_us`; an error when the connection failed.
    Result<Took> take_one(const Deliver& deliver, suseconds_t timeout_us) {
        auto took = take(deliver, timeout_us);
        if (!took) open_ = false;  // a broken connection is not closed politely (no waiting)
        return took;
    }

    // Cancels the consumer, then hands over what the node sent before its cancel-ok (it sends
    // nothing after): librabbitmq queues those deliveries while it waits for the reply.
    void drain(const Deliver& deliver) {
        amqp_basic_cancel(conn_, kChannel, amqp_cstring_bytes(consumer_tag_.c_str()));
        if (amqp_get_rpc_reply(conn_).reply_type != AMQP_RESPONSE_NORMAL) return;
        while (amqp_frames_enqueued(conn_) != 0 || amqp_data_in_buffer(conn_) != 0) {
            auto took = take_one(deliver, 0);
            if (!took || *took != Took::one) return;
        }
    }

  private:
    // An amqps:// socket: the node's certificate checked against the CA and the URL's host, as
    // the MQTT side does, and the county's own certificate where the config gives one. The files
    // are read at each connect, so a renewed certificate needs no restart.
    Result<amqp_socket_t*> tls_socket() {
        amqp_socket_t* socket = amqp_ssl_socket_new(conn_);
        if (socket == nullptr) return fail("cannot make a TLS socket");
        amqp_ssl_socket_set_verify_peer(socket, 1);
        amqp_ssl_socket_set_verify_hostname(socket, 1);
        if (!settings_.tls) return fail("amqps:// without [source.tls]");  // the config refuses it
        const config::Tls& tls = *settings_.tls;
        if (int rc = amqp_ssl_socket_set_cacert(socket, tls.ca_file.c_str()); rc != AMQP_STATUS_OK)
            return fail("ca_file " + tls.ca_file + ": " + amqp_error_string2(rc));
        if (!tls.cert_file.empty()) {
            if (int rc =
                    amqp_ssl_socket_set_key(socket, tls.cert_file.c_str(), tls.key_file.c_str());
                rc != AMQP_STATUS_OK)
                return fail("cert_file/key_file " + tls.cert_file + ": " + amqp_error_string2(rc));
        }
        return socket;
    }

    Result<Took> take(const Deliver& deliver, suseconds_t timeout_us) {
        // Frames queued while an RPC waited (the drain) live in the buffers: not while there.
        if (amqp_frames_enqueued(conn_) == 0) amqp_maybe_release_buffers(conn_);
        amqp_envelope_t envelope{};
        timeval timeout{0, timeout_us};
        const auto r = amqp_consume_message(conn_, &envelope, &timeout, 0);
        if (r.reply_type == AMQP_RESPONSE_NORMAL) {
            SourceMessage m{topic_of_routing_key(text_of(envelope.routing_key)),
                            std::string(text_of(envelope.message.body))};
            const uint64_t tag = envelope.delivery_tag;
            amqp_destroy_envelope(&envelope);
            // Not acknowledged when the store failed: RabbitMQ delivers it again once this
            // connection closes.
            if (!deliver(m)) return Took::store_failed;
            if (int rc = amqp_basic_ack(conn_, kChannel, tag, 0); rc != AMQP_STATUS_OK)
                return fail(std::string("basic.ack: ") + amqp_error_string2(rc));
            return Took::one;
        }
        if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
            r.library_error == AMQP_STATUS_TIMEOUT)
            return Took::none;
        if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
            r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
            return other_frame();
        return fail(reason(r));
    }

    // A frame other than a delivery: the broker closing the channel or the connection (a node
    // shutting down says 320 CONNECTION_FORCED), or cancelling the consumer (the queue was
    // deleted). Anything else is of no interest to a consumer.
    Result<Took> other_frame() {
        amqp_frame_t frame{};
        if (int rc = amqp_simple_wait_frame(conn_, &frame); rc != AMQP_STATUS_OK)
            return fail(amqp_error_string2(rc));
        if (frame.frame_type != AMQP_FRAME_METHOD) return Took::none;
        switch (frame.payload.method.id) {
            case AMQP_CHANNEL_CLOSE_METHOD:
            case AMQP_CONNECTION_CLOSE_METHOD: {
                amqp_rpc_reply_t r{};
                r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
                r.reply = frame.payload.method;
                return fail(reason(r));
            }
            case AMQP_BASIC_CANCEL_METHOD:
                return fail("the broker cancelled the consumer (was the queue deleted?)");
            default:
                return Took::none;
        }
    }

    const AmqpSettings& settings_;
    const AmqpUrl& url_;
    amqp_connection_state_t conn_;
    bool open_ = false;  // logged in, channel open: closed politely at the end
    std::string consumer_tag_;
};

AmqpSource::AmqpSource(AmqpSettings settings, Backoff backoff)
    : settings_(std::move(settings)), backoff_(backoff) {}

AmqpSource::~AmqpSource() {
    stop();
}

Result<void> AmqpSource::start(Deliver deliver) {
    urls_.clear();
    for (const auto& text : settings_.urls) {
        auto url = parse_amqp_url(text);
        if (!url) return fail("amqp: " + url.error().message);
        urls_.push_back(std::move(*url));
    }
    if (urls_.empty()) return fail("amqp: no URL to connect to");
    deliver_ = std::move(deliver);
    thread_ = std::thread([this] { run(); });
    return {};
}

void AmqpSource::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string AmqpSource::describe() const {
    std::string out = "queue " + settings_.queue + " on amqp";
    for (size_t i = 0; i < settings_.urls.size(); ++i) {
        auto url = parse_amqp_url(settings_.urls[i]);
        out += (i == 0 ? " " : ", ") + (url ? url->describe() : std::string("?"));
    }
    return out;
}

void AmqpSource::trouble(const AmqpUrl& url, const std::string& why) {
    const std::string line = url.describe() + ": " + why;
    if (line == last_trouble_) return;
    last_trouble_ = line;
    log::warning("county: amqp ", line, " (retrying with backoff)");
}

void AmqpSource::sleep_backoff() {
    // Exponential with full jitter, so that the instances of a county do not knock on the
    // cluster in step after it comes back.
    static thread_local std::mt19937 rng{std::random_device{}()};
    backoff_ms_ = backoff_ms_ == 0 ? backoff_.min_ms : std::min(backoff_ms_ * 2, backoff_.max_ms);
    std::uniform_int_distribution<int> pick(backoff_ms_ / 2, backoff_ms_);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(pick(rng)), [&] { return stopping_.load(); });
}

void AmqpSource::run() {
    for (size_t next = 0; !stopping_ && !failed_; next = (next + 1) % urls_.size()) {
        const AmqpUrl& url = urls_[next];
        Session session(settings_, url);
        if (auto opened = session.open(); !opened) {
            trouble(url, opened.error().message);
            sleep_backoff();
            continue;
        }
        log::info("county: connected to amqp ", url.describe(), ", consuming queue ",
                  settings_.queue, " (prefetch ", settings_.prefetch, ")");
        backoff_ms_ = 0;
        last_trouble_.clear();
        Result<Session::Took> took = Session::Took::none;
        while (!stopping_ && (took = session.take_one(deliver_, kPollUs)) &&
               *took != Session::Took::store_failed) {
        }
        if (took && *took == Session::Took::store_failed) {
            // The caller stops `run`; this delivery stays unacknowledged, for another instance.
            failed_ = true;
            return;
        }
        if (!took) {
            log::warning("county: amqp ", url.describe(), " lost: ", took.error().message,
                         " (reconnecting; unacknowledged deliveries come again)");
            last_trouble_ = url.describe() + ": " + took.error().message;
            sleep_backoff();
            continue;
        }
        session.drain(deliver_);
    }
}

}  // namespace sealwatch::county
