// libFuzzer target: the DL/T 645 side that sees a meter's bytes (protocols/dlt645): one frame
// (decode, and what decodes re-encodes to the same frame), a byte stream with noise cut into
// arbitrary reads (StreamDecoder), a reply checked against our request (check_reply), and the
// BCD values inside (decode_bcd, a profile field's value, an event count).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dlt645/bcd.hpp"
#include "dlt645/data_map.hpp"
#include "dlt645/exchange.hpp"
#include "dlt645/frame.hpp"

using namespace sealwatch::dlt645;

namespace {

Address consume_address(FuzzedDataProvider& in) {
    if (in.ConsumeBool()) return kWildcard;
    Address a{};
    for (auto& b : a) b = in.ConsumeIntegral<uint8_t>();
    return a;
}

void fuzz_frame(FuzzedDataProvider& in) {
    const Address address = consume_address(in);
    const auto id = in.ConsumeIntegral<DataId>();
    const auto sequence = in.ConsumeIntegral<uint8_t>();
    const Frame request = in.ConsumeBool() ? read_request(address, id)
                                           : read_follow_up_request(address, id, sequence);
    (void)requested_id(request);
    const auto bytes = in.ConsumeRemainingBytes<uint8_t>();
    auto frame = decode(bytes);
    if (!frame) return;
    // What decodes is what the line carried: encoding it again gives a frame that decodes equal.
    if (frame->data.size() > kMaxData) __builtin_trap();
    auto again = decode(encode(*frame));
    if (!again || !(*again == *frame)) __builtin_trap();
    (void)requested_id(*frame);
    if (auto reply = check_reply(request, *frame); reply && reply->refused)
        (void)describe_error(reply->error);
}

void fuzz_stream(FuzzedDataProvider& in) {
    StreamDecoder stream;
    size_t frames = 0;
    while (in.remaining_bytes() > 0) {
        const auto piece = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(1, 64));
        stream.feed(piece);
        while (auto frame = stream.next()) {
            if (frame->data.size() > kMaxData) __builtin_trap();
            ++frames;
        }
        // Whatever arrives, the decoder keeps at most one frame's worth of bytes waiting.
        if (stream.pending() > kMaxData + kOverhead + 64) __builtin_trap();
    }
    (void)frames;
    (void)stream.skipped();
}

void fuzz_values(FuzzedDataProvider& in) {
    Field field;
    field.quantity = "p_w";
    field.bytes = in.ConsumeIntegralInRange<uint8_t>(0, 9);
    field.decimals = in.ConsumeIntegralInRange<uint8_t>(0, 20);
    field.is_signed = in.ConsumeBool();
    EventCount count;
    count.bytes = in.ConsumeIntegralInRange<uint8_t>(0, 12);
    count.counts_at.clear();
    for (auto n = in.ConsumeIntegralInRange<size_t>(0, 4); n > 0; --n)
        count.counts_at.push_back(in.ConsumeIntegral<uint8_t>());
    const auto value = in.ConsumeRemainingBytes<uint8_t>();
    const std::span<const uint8_t> bytes(value);
    if (auto v = decode_bcd(bytes, field.is_signed)) {
        // Digits that decode encode back to the same bytes (an unsigned field has no sign bit).
        auto back = encode_bcd(*v, bytes.size(), field.is_signed);
        if (!back) __builtin_trap();
        if (auto again = decode_bcd(*back, field.is_signed); !again || *again != *v)
            __builtin_trap();
    }
    if (auto v = field_value(field, bytes)) (void)encode_field(field, *v);
    (void)count_value(count, bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    switch (in.ConsumeIntegralInRange<int>(0, 2)) {
        case 0:
            fuzz_frame(in);
            break;
        case 1:
            fuzz_stream(in);
            break;
        default:
            fuzz_values(in);
            break;
    }
    return 0;
}
