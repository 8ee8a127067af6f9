#pragma once
// An AMQP URL of [source] urls (docs/county.md), parsed by librabbitmq's own amqp_parse_url so
// that the config check and the connection read it the same way:
//   amqp://user:password@host:port/vhost   (defaults guest:guest, port 5672, vhost "/";
//                                           the vhost "/" is written %2f)
//   amqps://…                              the same over TLS (default port 5671), with the
//                                           [source.tls] files (county/config.hpp)
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace sealwatch::county {

struct AmqpUrl {
    bool tls = false;  // amqps://
    std::string host;
    int port = 5672;
    std::string vhost = "/";
    std::string user = "guest";
    std::string password = "guest";

    // host:port/vhost, and " (TLS)" for amqps, for the log (never the password).
    std::string describe() const;
};

Result<AmqpUrl> parse_amqp_url(std::string_view url);

}  // namespace sealwatch::county
