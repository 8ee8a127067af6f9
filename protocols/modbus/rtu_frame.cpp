#include "modbus/rtu_frame.hpp"

#include "modbus/tcp_frame.hpp"

namespace sealwatch::modbus::rtu {

namespace {

constexpr uint8_t kExceptionBit = 0x80;
constexpr size_t kExceptionBytes = 5;             // unit, function | 80H, code, CRC(2)
constexpr size_t kDataOverhead = 5;               // unit, function, byte count, ..., CRC(2)
constexpr size_t kMaxDataBytes = 250;             // 125 registers: the longest reply to a read
constexpr size_t kMaxBuffered = size_t{4} * 256;  // a flood of noise must not grow without bound

bool crc_ok(std::span<const uint8_t> frame) {
    const uint16_t crc = crc16(frame.first(frame.size() - 2));
    return frame[frame.size() - 2] == (crc & 0xFF) && frame[frame.size() - 1] == (crc >> 8);
}

}  // namespace

uint16_t crc16(std::span<const uint8_t> bytes) {
    uint16_t crc = 0xFFFF;
    for (uint8_t b : bytes) {
        crc = static_cast<uint16_t>(crc ^ b);
        for (int i = 0; i < 8; ++i) {
            const bool lsb = (crc & 1) != 0;
            crc = static_cast<uint16_t>(crc >> 1);
            if (lsb) crc = static_cast<uint16_t>(crc ^ 0xA001);
        }
    }
    return crc;
}

std::array<uint8_t, kRequestBytes> encode(const ReadRequest& request) {
    std::array<uint8_t, kRequestBytes> out{request.unit,
                                           tcp::function_code(request.table),
                                           static_cast<uint8_t>(request.address >> 8),
                                           static_cast<uint8_t>(request.address & 0xFF),
                                           static_cast<uint8_t>(request.count >> 8),
                                           static_cast<uint8_t>(request.count & 0xFF),
                                           0,
                                           0};
    const uint16_t crc = crc16(std::span<const uint8_t>(out).first(kRequestBytes - 2));
    out[6] = static_cast<uint8_t>(crc & 0xFF);
    out[7] = static_cast<uint8_t>(crc >> 8);
    return out;
}

void ReplyScanner::feed(std::span<const uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    if (buf_.size() > kMaxBuffered) skip(buf_.size() - kMaxBuffered);
}

void ReplyScanner::skip(size_t n) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    skipped_ += n;
}

// Whether the bytes from `at` on start a reply to a read, as far as they go: only a function
// code we asked for (or its exception) can tell a reply's length, so anything else is noise.
ReplyScanner::Fit ReplyScanner::fit_at(size_t at, size_t& length) const {
    const size_t left = buf_.size() - at;
    if (left < 2) return Fit::need_more;
    const uint8_t function = buf_[at + 1];
    const auto plain = static_cast<uint8_t>(function & ~kExceptionBit);
    if (plain != 3 && plain != 4) return Fit::not_a_frame;
    if (function & kExceptionBit) {
        length = kExceptionBytes;
    } else {
        if (left < 3) return Fit::need_more;
        const size_t data = buf_[at + 2];
        if (data == 0 || data > kMaxDataBytes || data % 2 != 0) return Fit::not_a_frame;
        length = kDataOverhead + data;
    }
    if (left < length) return Fit::need_more;
    return crc_ok(std::span<const uint8_t>(buf_).subspan(at, length)) ? Fit::frame : Fit::bad_crc;
}

// A frame with a good CRC: our reply, or someone else's (another unit's late answer, ours to
// an earlier request) that is skipped with the reason kept.
std::optional<Verdict> ReplyScanner::judge(std::span<const uint8_t> frame) {
    const uint8_t function = tcp::function_code(request_.table);
    if (frame[0] != request_.unit) {
        rejected_ = "answer from unit " + std::to_string(frame[0]) + ", expected " +
                    std::to_string(request_.unit);
        return std::nullopt;
    }
    if ((frame[1] & ~kExceptionBit) != function) {
        rejected_ = "answer with function " + std::to_string(frame[1] & ~kExceptionBit) +
                    ", expected " + std::to_string(function);
        return std::nullopt;
    }
    if (!(frame[1] & kExceptionBit) && frame[2] != 2 * request_.count) {
        rejected_ = "answer of " + std::to_string(frame[2] / 2) + " registers, expected " +
                    std::to_string(request_.count) + " (an answer to another request)";
        return std::nullopt;
    }
    // Unit and CRC off, what remains is the same PDU Modbus TCP carries: one check for both.
    const tcp::ReadRequest same{0, request_.unit, request_.table, request_.address, request_.count};
    return tcp::decode_pdu(same, frame.subspan(1, frame.size() - 3));
}

std::optional<Verdict> ReplyScanner::next() {
    size_t at = 0;
    while (at < buf_.size()) {
        size_t length = 0;
        const Fit fit = fit_at(at, length);
        if (fit == Fit::need_more) {
            // A torn frame (or noise that looks like a header and promises more bytes than
            // will come) must not hold back a whole frame that arrived after it.
            size_t later = at + 1;
            while (later < buf_.size() && fit_at(later, length) != Fit::frame) ++later;
            if (later == buf_.size()) break;  // wait for more bytes
            at = later;
            continue;
        }
        if (fit == Fit::bad_crc && buf_[at] == request_.unit &&
            (buf_[at + 1] & ~kExceptionBit) == tcp::function_code(request_.table)) {
            // Our unit and function, the length right, the CRC wrong: our reply, garbled.
            rejected_ = "bad CRC";
            garbled_ = true;
        }
        if (fit != Fit::frame) {
            ++at;
            continue;
        }
        auto verdict = judge(std::span<const uint8_t>(buf_).subspan(at, length));
        if (!verdict) {
            at += length;
            continue;
        }
        skip(at);
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(length));
        return verdict;
    }
    skip(at);
    return std::nullopt;
}

}  // namespace sealwatch::modbus::rtu
