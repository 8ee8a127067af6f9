#include "sim/rtu_frame.hpp"

namespace sealwatch::sim {

int rtu_request_length(std::span<const uint8_t> buf) {
    if (buf.size() < 2) return 0;
    switch (buf[1]) {
        case 0x01:
        case 0x02:
        case 0x03:
        case 0x04:
        case 0x05:
        case 0x06:
            return 8;  // address, function, 2 x u16, CRC
        case 0x07:
        case 0x0B:
        case 0x0C:
        case 0x11:
            return 4;
        case 0x0F:
        case 0x10:
            return buf.size() < 7 ? 0 : 9 + buf[6];
        case 0x14:
        case 0x15:
            return buf.size() < 3 ? 0 : 5 + buf[2];
        case 0x16:
            return 10;
        case 0x17:
            return buf.size() < 11 ? 0 : 13 + buf[10];
        case 0x2B:
            return 7;
        default:
            return -1;
    }
}

namespace {

constexpr size_t kMaxAdu = 256;  // the longest RTU frame there is

bool crc_ok(std::span<const uint8_t> frame) {
    if (frame.size() < 4) return false;
    uint16_t crc = crc16(frame.first(frame.size() - 2));
    return frame[frame.size() - 2] == (crc & 0xFF) && frame[frame.size() - 1] == (crc >> 8);
}

}  // namespace

void RtuFramer::feed(std::span<const uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    // A master never sends this much at once; a flood of noise must not grow without bound.
    constexpr size_t kMaxBuffer = 4 * kMaxAdu;
    if (buf_.size() > kMaxBuffer) {
        size_t drop = buf_.size() - kMaxBuffer;
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(drop));
        discarded_ += drop;
    }
}

std::optional<std::vector<uint8_t>> RtuFramer::next(bool silence) {
    auto take = [&](size_t n) {
        std::vector<uint8_t> frame(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
        return frame;
    };
    auto drop_one = [&] {
        buf_.erase(buf_.begin());
        ++discarded_;
    };
    while (!buf_.empty()) {
        int need = rtu_request_length(buf_);
        if (need > 0) {
            auto n = static_cast<size_t>(need);
            if (buf_.size() >= n) {
                if (crc_ok(std::span<const uint8_t>(buf_).first(n))) return take(n);
                drop_one();
                continue;
            }
        } else if (need < 0) {
            if (silence) {
                if (buf_.size() <= kMaxAdu && crc_ok(buf_)) return take(buf_.size());
                drop_one();
                continue;
            }
            // Noise, or a function code we do not know: a complete, CRC-valid request further
            // on need not wait for the silence.
            std::span<const uint8_t> all(buf_);
            for (size_t i = 1; i + 4 <= all.size(); ++i) {
                int n = rtu_request_length(all.subspan(i));
                if (n <= 0 || all.size() - i < static_cast<size_t>(n)) continue;
                if (!crc_ok(all.subspan(i, static_cast<size_t>(n)))) continue;
                buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(i));
                discarded_ += i;
                return take(static_cast<size_t>(n));
            }
            return std::nullopt;
        }
        // Incomplete: wait for more bytes, unless the line went quiet (then it was noise).
        if (!silence) return std::nullopt;
        drop_one();
    }
    return std::nullopt;
}

}  // namespace sealwatch::sim
