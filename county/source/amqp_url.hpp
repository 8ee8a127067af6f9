#pragma once
// An AMQP URL of [source] urls (docs/county.md), parsed by librabbitmq's own amqp_parse_url so
// that the config check and the connection read it the same way:
//   amqp://user:password@host:port/vhost   (defaults guest:guest, port 5672, vhost "/";
//                                           the vhost "/" is written %2f)
// amqps:// is refused for now: the county reaches RabbitMQ over plain AMQP only.
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace sealwatch::county {

struct AmqpUrl {
    std::string host;
    int port = 5672;
    std::string vhost = "/";
    std::string user = "guest";
    std::string password = "guest";

    // host:port/vhost, for the log (never the password).
    std::string describe() const;
};

Result<AmqpUrl> parse_amqp_url(std::string_view url);

}  // namespace sealwatch::county
