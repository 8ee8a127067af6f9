#include "dlt645/exchange.hpp"

namespace sealwatch::dlt645 {

namespace {

constexpr size_t kIdBytes = 4;

void append_id(std::vector<uint8_t>& out, DataId id) {
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<uint8_t>(id >> shift));
}

DataId id_at(std::span<const uint8_t> data) {
    DataId id = 0;
    for (size_t i = kIdBytes; i-- > 0;) id = id << 8 | data[i];
    return id;
}

uint8_t function_of(uint8_t control_code) {
    return control_code & control::kFunctionMask;
}

bool carries_id(uint8_t function) {
    return function == control::kRead || function == control::kReadFollowUp;
}

}  // namespace

Frame read_request(const Address& address, DataId id) {
    Frame f{address, control::kRead, {}};
    append_id(f.data, id);
    return f;
}

Frame read_follow_up_request(const Address& address, DataId id, uint8_t sequence) {
    Frame f{address, control::kReadFollowUp, {}};
    append_id(f.data, id);
    f.data.push_back(sequence);
    return f;
}

Frame read_address_request() {
    return Frame{kWildcard, control::kReadAddress, {}};
}

std::string describe_error(uint8_t error) {
    std::string out;
    auto add = [&out](const std::string& what) { out += (out.empty() ? "" : ", ") + what; };
    if (error & error_bit::kNoSuchData) add("no such data");
    if (error & error_bit::kUnauthorised) add("unauthorised");
    if (error & error_bit::kOther) add("other error");
    if (error & ~(error_bit::kNoSuchData | error_bit::kUnauthorised | error_bit::kOther))
        add("error byte " + std::to_string(error));
    return out.empty() ? "error reply without a reason" : out;
}

std::string_view to_string(ReplyProblem problem) {
    switch (problem) {
        case ReplyProblem::not_a_reply:
            return "a request, not a reply";
        case ReplyProblem::other_function:
            return "a reply to another function";
        case ReplyProblem::other_address:
            return "a reply from another address";
        case ReplyProblem::other_identifier:
            return "a reply for another data identifier (a late reply)";
        case ReplyProblem::other_sequence:
            return "a follow-up frame out of sequence";
        case ReplyProblem::short_data:
            return "a reply too short for what it must hold";
    }
    return "?";
}

std::optional<DataId> requested_id(const Frame& request) {
    if (!carries_id(function_of(request.control)) || request.data.size() < kIdBytes)
        return std::nullopt;
    return id_at(request.data);
}

tl::expected<Reply, ReplyProblem> check_reply(const Frame& request, const Frame& reply) {
    if (!(reply.control & control::kReplyBit)) return tl::unexpected(ReplyProblem::not_a_reply);
    const uint8_t function = function_of(request.control);
    if (function_of(reply.control) != function) return tl::unexpected(ReplyProblem::other_function);
    if (request.address != kWildcard && reply.address != request.address)
        return tl::unexpected(ReplyProblem::other_address);

    Reply out;
    if (reply.control & control::kErrorBit) {
        // An error reply carries its error byte and no identifier: it answers whatever we asked.
        if (reply.data.empty()) return tl::unexpected(ReplyProblem::short_data);
        out.refused = true;
        out.error = reply.data[0];
        return out;
    }
    out.more = (reply.control & control::kMoreBit) != 0;
    std::span<const uint8_t> value(reply.data);
    if (carries_id(function)) {
        if (value.size() < kIdBytes) return tl::unexpected(ReplyProblem::short_data);
        if (id_at(value) != requested_id(request).value_or(0))
            return tl::unexpected(ReplyProblem::other_identifier);
        value = value.subspan(kIdBytes);
    }
    if (function == control::kReadFollowUp) {
        if (value.empty()) return tl::unexpected(ReplyProblem::short_data);
        if (request.data.size() <= kIdBytes || value.back() != request.data[kIdBytes])
            return tl::unexpected(ReplyProblem::other_sequence);
        value = value.first(value.size() - 1);
    }
    if (function == control::kReadAddress && value.size() != std::tuple_size_v<Address>)
        return tl::unexpected(ReplyProblem::short_data);
    out.value.assign(value.begin(), value.end());
    return out;
}

Frame value_reply(const Frame& request, const Address& meter, std::span<const uint8_t> value,
                  bool more) {
    const uint8_t function = function_of(request.control);
    Frame f{meter, static_cast<uint8_t>(function | control::kReplyBit), {}};
    if (more) f.control = static_cast<uint8_t>(f.control | control::kMoreBit);
    if (carries_id(function)) append_id(f.data, requested_id(request).value_or(0));
    f.data.insert(f.data.end(), value.begin(), value.end());
    if (function == control::kReadFollowUp && request.data.size() > kIdBytes)
        f.data.push_back(request.data[kIdBytes]);
    return f;
}

Frame error_reply(const Frame& request, const Address& meter, uint8_t error) {
    const uint8_t function = function_of(request.control);
    return Frame{
        meter, static_cast<uint8_t>(function | control::kReplyBit | control::kErrorBit), {error}};
}

}  // namespace sealwatch::dlt645
