#pragma once
// The county's [broker] table as MQTT link settings (uplink/mqtt_link.hpp), one mapping for
// `run` and `send`; each sets what is its own on top (client id, session, subscriptions).
#include "county/config.hpp"
#include "uplink/mqtt_link.hpp"

namespace sealwatch::county {

// Host, port, credentials, TLS, keepalive and the configured client id; no status topic (the
// county announces nothing), a clean session.
uplink::LinkSettings broker_link(const Broker& broker);

}  // namespace sealwatch::county
