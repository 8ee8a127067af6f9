#include "sim/rtu_answer.hpp"

#include "sim/log.hpp"

namespace sealwatch::sim {

namespace {
constexpr size_t kReadRequestBytes = 8;  // address, function, 2 x u16, CRC
}  // namespace

RtuAnswer answer_rtu(Simulation& sim, ReplyEncoder& encoder, const std::string& listener,
                     const std::string& where, std::span<const uint8_t> frame, double now,
                     bool verbose) {
    RtuAnswer out;
    Request req;
    req.unit = frame[0];
    req.function = frame[1];
    if (frame.size() == kReadRequestBytes) {
        req.address = static_cast<uint16_t>(frame[2] << 8 | frame[3]);
        req.count = static_cast<uint16_t>(frame[4] << 8 | frame[5]);
    } else {
        req.well_formed = false;
    }
    if (req.unit == 0) return out;  // broadcast: never answered
    Decision d = sim.answer(listener, req, now);
    if (verbose)
        log_line(where + ": unit " + std::to_string(req.unit) + " fc " +
                 std::to_string(req.function) + " addr " + std::to_string(req.address) + " count " +
                 std::to_string(req.count) + " -> " + (d.meter.empty() ? "no meter" : d.meter) +
                 (d.drop_link ? " (drop link)" : "") + at_wall_ms());
    out.drop_link = d.drop_link;
    out.delay_ms = d.delay_ms;
    Result<std::vector<uint8_t>> bytes = fail("silent");
    switch (d.kind) {
        case Decision::Kind::unknown_unit:
        case Decision::Kind::silent:
            return out;  // not addressed to anyone here, or a mute meter
        case Decision::Kind::exception:
            bytes = encoder.exception(frame, d.exception);
            break;
        case Decision::Kind::registers:
            bytes = encoder.registers(frame, req.address, d.words);
            break;
    }
    if (!bytes) {
        log_line(where + ": " + bytes.error().message);
        return out;
    }
    if (d.corrupt && bytes->size() >= 2) {
        bytes->back() ^= 0xFF;
        (*bytes)[bytes->size() - 2] ^= 0xFF;
    }
    out.bytes = std::move(*bytes);
    return out;
}

}  // namespace sealwatch::sim
