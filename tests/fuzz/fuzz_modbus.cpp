// libFuzzer target: the Modbus side that sees a meter's bytes or a profile's numbers, without
// I/O: the TCP answer checks (modbus/tcp_frame: MBAP header, PDU), the RTU-over-TCP reply
// scanner over a stream in arbitrary pieces (modbus/rtu_frame), register decoding in every
// type and word/byte order, and block planning over arbitrary spans, gaps and barriers.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "modbus/block_plan.hpp"
#include "modbus/registers.hpp"
#include "modbus/rtu_frame.hpp"
#include "modbus/tcp_frame.hpp"

using namespace sealwatch::modbus;

namespace {

void fuzz_tcp_answer(FuzzedDataProvider& in) {
    tcp::ReadRequest request{in.ConsumeIntegral<uint16_t>(), in.ConsumeIntegral<uint8_t>(),
                             in.ConsumeBool() ? Table::holding : Table::input,
                             in.ConsumeIntegral<uint16_t>(),
                             in.ConsumeIntegralInRange<uint16_t>(1, kMaxReadRegisters)};
    (void)tcp::encode(request);
    std::array<uint8_t, tcp::kMbapBytes> header{};
    for (auto& b : header) b = in.ConsumeIntegral<uint8_t>();
    auto pdu_bytes = tcp::check_header(request, header);
    auto pdu = in.ConsumeBytes<uint8_t>(pdu_bytes ? *pdu_bytes : in.ConsumeIntegral<uint8_t>());
    auto regs = tcp::decode_pdu(request, pdu);
    if (regs && regs->size() != request.count) __builtin_trap();  // a checked answer is whole
}

// What a DTU hands the RTU-over-TCP client: any bytes, cut into any pieces. A reply taken as
// ours must hold exactly the registers asked for, however much noise came before it.
void fuzz_rtu_stream(FuzzedDataProvider& in) {
    rtu::ReadRequest request{in.ConsumeIntegralInRange<uint8_t>(1, 247),
                             in.ConsumeBool() ? Table::holding : Table::input,
                             in.ConsumeIntegral<uint16_t>(),
                             in.ConsumeIntegralInRange<uint16_t>(1, kMaxReadRegisters)};
    (void)rtu::encode(request);
    rtu::ReplyScanner scanner(request);
    while (in.remaining_bytes() > 0) {
        scanner.feed(in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(1, 512)));
        while (auto verdict = scanner.next())
            if (*verdict && (*verdict)->size() != request.count) __builtin_trap();
    }
}

void fuzz_decode(FuzzedDataProvider& in) {
    Encoding enc{static_cast<ValueType>(in.ConsumeIntegralInRange<int>(0, 7)), in.ConsumeBool(),
                 in.ConsumeBool()};
    std::array<uint16_t, 4> regs{};
    for (auto& r : regs) r = in.ConsumeIntegral<uint16_t>();
    auto span =
        std::span<const uint16_t>(regs.data(), static_cast<size_t>(register_count(enc.type)));
    double v = decode(span, enc);
    (void)raw_bits(span, enc);
    std::array<uint16_t, 4> back{};
    encode(v, enc, std::span<uint16_t>(back.data(), span.size()));
}

void fuzz_plan(FuzzedDataProvider& in) {
    PlanOptions options;
    options.max_registers = in.ConsumeIntegralInRange<uint16_t>(4, kMaxReadRegisters);
    options.max_gap = in.ConsumeIntegral<uint16_t>();
    for (auto n = in.ConsumeIntegralInRange<size_t>(0, 8); n > 0; --n)
        options.barriers.push_back(in.ConsumeIntegral<uint16_t>());
    std::vector<Span> spans;
    for (auto n = in.ConsumeIntegralInRange<size_t>(0, 64); n > 0; --n)
        spans.push_back({in.ConsumeBool() ? Table::holding : Table::input,
                         in.ConsumeIntegral<uint16_t>(),
                         static_cast<uint16_t>(in.ConsumeIntegralInRange<int>(1, 4))});
    auto blocks = plan_blocks(spans, options);
    for (const auto& b : blocks)
        if (b.count == 0 || b.count > options.max_registers) __builtin_trap();
    for (const auto& s : spans) (void)find_block(blocks, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
        case 0:
            fuzz_tcp_answer(in);
            break;
        case 3:
            fuzz_rtu_stream(in);
            break;
        case 1:
            fuzz_decode(in);
            break;
        default:
            fuzz_plan(in);
            break;
    }
    return 0;
}
