#include "county/source/amqp_url.hpp"

#include <arpa/inet.h>

#include <vector>

#include <amqp.h>

namespace sealwatch::county {

std::string AmqpUrl::describe() const {
    return host + ":" + std::to_string(port) + (vhost == "/" ? "/" : "/" + vhost) +
           (tls ? " (TLS)" : "");
}

Result<AmqpUrl> parse_amqp_url(std::string_view url) {
    // amqp_parse_url cuts its argument in place and points into it: a copy of our own.
    std::vector<char> text(url.begin(), url.end());
    text.push_back('\0');
    amqp_connection_info info{};
    amqp_default_connection_info(&info);
    if (amqp_parse_url(text.data(), &info) != AMQP_STATUS_OK)
        return fail("not an AMQP URL (amqp[s]://user:password@host:port/vhost)");
    if (info.host == nullptr || *info.host == '\0') return fail("the URL names no host");
    // librabbitmq checks the node's certificate against DNS names only (its subjectAltName DNS
    // entries, or its CN), never an IP address entry: an address here could never be verified.
    in6_addr address{};
    if (info.ssl && (inet_pton(AF_INET, info.host, &address) == 1 ||
                     inet_pton(AF_INET6, info.host, &address) == 1))
        return fail(
            "amqps:// needs the node's host name, as in its certificate, not an IP address "
            "(librabbitmq checks names only)");
    if (info.vhost != nullptr && *info.vhost == '\0')
        return fail(
            "the URL ends in '/', which names the empty vhost: leave the path out for "
            "the vhost \"/\", or write it %2f");
    AmqpUrl out;
    out.tls = info.ssl != 0;
    out.host = info.host;
    out.port = info.port;
    out.vhost = info.vhost != nullptr ? info.vhost : "/";
    out.user = info.user != nullptr ? info.user : "";
    out.password = info.password != nullptr ? info.password : "";
    return out;
}

}  // namespace sealwatch::county
