#include "county/source/amqp_url.hpp"

#include <vector>

#include <amqp.h>

namespace sealwatch::county {

std::string AmqpUrl::describe() const {
    return host + ":" + std::to_string(port) + (vhost == "/" ? "/" : "/" + vhost);
}

Result<AmqpUrl> parse_amqp_url(std::string_view url) {
    // amqp_parse_url cuts its argument in place and points into it: a copy of our own.
    std::vector<char> text(url.begin(), url.end());
    text.push_back('\0');
    amqp_connection_info info{};
    amqp_default_connection_info(&info);
    if (amqp_parse_url(text.data(), &info) != AMQP_STATUS_OK)
        return fail("not an AMQP URL (amqp://user:password@host:port/vhost)");
    if (info.ssl)
        return fail(
            "amqps:// is not supported in this version: use amqp:// on the bureau's "
            "network");
    if (info.host == nullptr || *info.host == '\0') return fail("the URL names no host");
    if (info.vhost != nullptr && *info.vhost == '\0')
        return fail(
            "the URL ends in '/', which names the empty vhost: leave the path out for "
            "the vhost \"/\", or write it %2f");
    AmqpUrl out;
    out.host = info.host;
    out.port = info.port;
    out.vhost = info.vhost != nullptr ? info.vhost : "/";
    out.user = info.user != nullptr ? info.user : "";
    out.password = info.password != nullptr ? info.password : "";
    return out;
}

}  // namespace sealwatch::county
