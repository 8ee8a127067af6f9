#pragma once
// The default source: a persistent MQTT subscription to <topic_prefix>/# (QoS 1, clean session
// off, [broker] client_id), so the broker keeps every message while `run` is away.
//
// Each message is handed over on the link's network thread, before the next one is read. The
// broker holds what arrives while `run` is away, so a restart, a kill -9 included, loses nothing
// it kept; libmosquitto acknowledges a message to the broker just before handing it over, so the
// one message being committed at the instant of a kill is the exception, and shows in `gaps`
// (docs/county.md).
#include <atomic>
#include <optional>

#include "county/config.hpp"
#include "county/source/source.hpp"
#include "uplink/mqtt_link.hpp"

namespace sealwatch::county {

class MqttSource final : public Source {
  public:
    explicit MqttSource(const Broker& broker);
    ~MqttSource() override;  // stop()

    Result<void> start(Deliver deliver) override;
    void stop() override;
    std::string describe() const override;

  private:
    uplink::LinkSettings settings_;
    Deliver deliver_;
    std::atomic<bool> failed_{false};
    std::optional<uplink::MqttLink> link_;
};

}  // namespace sealwatch::county
