#pragma once
// One request and its reply, as the master of a DL/T 645 bus sees them: the requests we send
// (read one data identifier, read its follow-up frames, read the address of a lone meter) and
// the checks a reply must pass before its data means anything. Pure code, no I/O.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "dlt645/frame.hpp"

namespace sealwatch::dlt645 {

// A data identifier DI3 DI2 DI1 DI0 as written in the standard's tables (0x02010100 is the L1
// voltage); it travels DI0 first.
using DataId = uint32_t;

Frame read_request(const Address& address, DataId id);
// The `sequence`-th follow-up frame (1, 2, ...) of a read whose reply said "more follows".
Frame read_follow_up_request(const Address& address, DataId id, uint8_t sequence);
// The address of the only meter on the line (sent to the wildcard; on a bus of several meters
// they would all answer at once).
Frame read_address_request();

// The error byte of an error reply, bit by bit (DL/T 645-2007 7.3.3).
namespace error_bit {
inline constexpr uint8_t kOther = 0x01;
inline constexpr uint8_t kNoSuchData = 0x02;  // "no requested data": the meter lacks this DI
inline constexpr uint8_t kUnauthorised = 0x04;
}  // namespace error_bit
std::string describe_error(uint8_t error);  // "no such data", "unauthorised, other", ...

// Why a frame that decoded cleanly is still not the answer to our request.
enum class ReplyProblem {
    not_a_reply,       // the direction bit says it is a request (an echo, another master)
    other_function,    // a reply to another kind of request
    other_address,     // another meter answered
    other_identifier,  // the answer to an earlier request (a late reply)
    other_sequence,    // a follow-up frame out of order
    short_data,        // too few data bytes for what the reply must hold
};
std::string_view to_string(ReplyProblem problem);

// What a reply that passed the checks says.
struct Reply {
    bool refused = false;        // an error reply: the meter is alive but will not answer this
    uint8_t error = 0;           // its error byte (see error_bit)
    bool more = false;           // a follow-up frame holds the rest of the value
    std::vector<uint8_t> value;  // the value's bytes, low byte first, without DI (or SEQ)
};

// Checks `reply` against the request it answers: direction, function, address (unless the
// request went to the wildcard), identifier and sequence; takes DI (and SEQ) off the value.
tl::expected<Reply, ReplyProblem> check_reply(const Frame& request, const Frame& reply);

// A meter's reply to one request, composed by the meter side (the simulator): a normal reply
// with the value, or an error reply with the error byte.
Frame value_reply(const Frame& request, const Address& meter, std::span<const uint8_t> value,
                  bool more = false);
Frame error_reply(const Frame& request, const Address& meter, uint8_t error);

// The identifier a read or follow-up request asks for; nullopt for other requests and for one
// too short to hold it.
std::optional<DataId> requested_id(const Frame& request);

}  // namespace sealwatch::dlt645
