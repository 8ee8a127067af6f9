#include "county/source/mqtt_source.hpp"

#include "county/broker_link.hpp"
#include "wire/json.hpp"

namespace sealwatch::county {

MqttSource::MqttSource(const Broker& broker) : settings_(broker_link(broker)) {
    settings_.clean_session = false;
    settings_.subscriptions = {broker.topic_prefix + "/#"};
    // A telemetry message of a long backlog is far above the link's default; what the wire
    // decoders accept is the limit (a longer one is cut and counted as garbage).
    settings_.max_message_bytes = wire::Limits{}.max_bytes;
}

MqttSource::~MqttSource() {
    stop();
}

Result<void> MqttSource::start(Deliver deliver) {
    deliver_ = std::move(deliver);
    // Handed over right here on the network thread, not queued: the message is acknowledged to
    // the broker already, so the shorter the way to the commit, the less a kill -9 can take.
    link_.emplace(settings_, [this](const uplink::LinkNote& note) {
        if (note.kind != uplink::LinkNote::Kind::message || failed_) return;
        if (!deliver_({note.topic, note.payload})) failed_ = true;
    });
    return link_->start();
}

void MqttSource::stop() {
    if (link_) link_->stop();
}

std::string MqttSource::describe() const {
    return settings_.subscriptions.front() + " from " + settings_.host + ":" +
           std::to_string(settings_.port) + " as " + settings_.client_id;
}

}  // namespace sealwatch::county
