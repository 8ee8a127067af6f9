#include "county/broker_link.hpp"

namespace sealwatch::county {

uplink::LinkSettings broker_link(const Broker& broker) {
    uplink::LinkSettings s;
    s.host = broker.host;
    s.port = broker.port;
    s.client_id = broker.client_id;
    s.keepalive_s = broker.keepalive_s;
    s.username = broker.username;
    s.password = broker.password;
    if (broker.tls) {
        s.tls = true;
        s.ca_file = broker.tls->ca_file;
        s.cert_file = broker.tls->cert_file;
        s.key_file = broker.tls->key_file;
    }
    return s;
}

}  // namespace sealwatch::county
