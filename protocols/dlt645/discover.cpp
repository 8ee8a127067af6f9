#include "dlt645/discover.hpp"

#include <algorithm>

#include "dlt645/exchange.hpp"

namespace sealwatch::dlt645 {

tl::expected<Address, std::string> discover_address(Client& client) {
    const std::string where = client.describe();
    auto reply = client.exchange(read_address_request());
    if (!reply) {
        const ExchangeError& e = reply.error();
        switch (e.kind) {
            case ErrorKind::timeout:
                return tl::unexpected(
                    "no meter answered on " + where +
                    ": check the wiring (A/B swapped?), the line's speed and parity (DL/T 645 "
                    "meters default to 2400 8E1) and that the meter is powered");
            case ErrorKind::bad_frame:
                return tl::unexpected(
                    "the answer on " + where + " is not a valid read-address reply (" + e.message +
                    "): several meters answering at once (discovery needs exactly one meter on "
                    "the line), a wrong speed or parity, or noise");
            case ErrorKind::link:
                return tl::unexpected("cannot use " + where + ": " + e.message);
        }
    }
    if (reply->refused)
        return tl::unexpected("the meter on " + where + " refused the read-address command (" +
                              describe_error(reply->error) + ")");
    // check_reply has made sure the reply holds exactly six bytes.
    Address found{};
    std::copy_n(reply->value.begin(), found.size(), found.begin());
    if (!parse_address(to_string(found)))
        return tl::unexpected("the meter on " + where + " answered an address that is not 12 " +
                              "decimal digits (" + to_string(found) + ")");
    return found;
}

}  // namespace sealwatch::dlt645
