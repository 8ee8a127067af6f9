#include "dlt645/frame.hpp"

#include <algorithm>

namespace sealwatch::dlt645 {

namespace {

constexpr uint8_t kStart = 0x68;
constexpr uint8_t kEnd = 0x16;
constexpr uint8_t kWake = 0xFE;
constexpr uint8_t kDataOffset = 0x33;
constexpr size_t kHeader = 10;  // 68, A0..A5, 68, C, L

uint8_t checksum(std::span<const uint8_t> bytes) {
    unsigned sum = 0;
    for (uint8_t b : bytes) sum += b;
    return static_cast<uint8_t>(sum & 0xFF);
}

// What the bytes from a 68H on hold.
struct Attempt {
    enum class Status { complete, incomplete, invalid } status = Status::incomplete;
    FrameProblem problem = FrameProblem::truncated;
    Frame frame;
    size_t size = 0;  // bytes of the frame, when complete
};

Attempt invalid(FrameProblem problem) {
    return Attempt{Attempt::Status::invalid, problem, {}, 0};
}

// A frame that starts at b[0] (a 68H). Says "invalid" as early as the bytes allow, so that a
// stream decoder falls back in step without waiting for bytes that will never make a frame.
Attempt attempt(std::span<const uint8_t> b) {
    if (b.size() > 7 && b[7] != kStart) return invalid(FrameProblem::bad_header);
    if (b.size() < kHeader) return {};
    const size_t length = b[9];
    if (length > kMaxData) return invalid(FrameProblem::too_long);
    const size_t total = kOverhead + length;
    if (b.size() < total) return {};
    if (checksum(b.first(kHeader + length)) != b[kHeader + length])
        return invalid(FrameProblem::bad_checksum);
    if (b[kHeader + length + 1] != kEnd) return invalid(FrameProblem::no_end);
    Attempt a;
    a.status = Attempt::Status::complete;
    a.size = total;
    std::copy(b.begin() + 1, b.begin() + 7, a.frame.address.begin());
    a.frame.control = b[8];
    a.frame.data.reserve(length);
    for (uint8_t d : b.subspan(kHeader, length))
        a.frame.data.push_back(static_cast<uint8_t>(d - kDataOffset));
    return a;
}

// The first 68H after `from` that starts a complete, valid frame.
std::optional<size_t> complete_after(std::span<const uint8_t> b, size_t from) {
    for (size_t j = from + 1; j < b.size(); ++j)
        if (b[j] == kStart && attempt(b.subspan(j)).status == Attempt::Status::complete) return j;
    return std::nullopt;
}

}  // namespace

std::optional<Address> parse_address(std::string_view digits) {
    if (digits.size() != 12) return std::nullopt;
    Address a{};
    for (size_t i = 0; i < 6; ++i) {
        // Byte i (low first) holds the digits 10-2i and 11-2i of the printed number.
        const char hi = digits[10 - 2 * i];
        const char lo = digits[11 - 2 * i];
        if (hi < '0' || hi > '9' || lo < '0' || lo > '9') return std::nullopt;
        a[i] = static_cast<uint8_t>((hi - '0') << 4 | (lo - '0'));
    }
    return a;
}

std::string to_string(const Address& address) {
    static constexpr char kHex[] = "0123456789ABCDEF";  // AA..AA prints as AAAAAAAAAAAA
    std::string out;
    for (size_t i = 6; i-- > 0;) {
        out += kHex[address[i] >> 4];
        out += kHex[address[i] & 0x0F];
    }
    return out;
}

std::vector<uint8_t> encode(const Frame& frame, size_t preamble) {
    const size_t length = std::min(frame.data.size(), kMaxData);
    std::vector<uint8_t> out(preamble, kWake);
    out.reserve(preamble + kOverhead + length);
    const size_t start = out.size();
    out.push_back(kStart);
    out.insert(out.end(), frame.address.begin(), frame.address.end());
    out.push_back(kStart);
    out.push_back(frame.control);
    out.push_back(static_cast<uint8_t>(length));
    for (size_t i = 0; i < length; ++i)
        out.push_back(static_cast<uint8_t>(frame.data[i] + kDataOffset));
    out.push_back(checksum(std::span(out).subspan(start)));
    out.push_back(kEnd);
    return out;
}

std::string_view to_string(FrameProblem problem) {
    switch (problem) {
        case FrameProblem::truncated:
            return "truncated frame";
        case FrameProblem::no_start:
            return "no 68H where the frame should start";
        case FrameProblem::bad_header:
            return "no second 68H after the address";
        case FrameProblem::too_long:
            return "length beyond 200 data bytes";
        case FrameProblem::bad_checksum:
            return "bad checksum";
        case FrameProblem::no_end:
            return "no 16H after the checksum";
        case FrameProblem::trailing:
            return "bytes after the frame (wrong length)";
    }
    return "?";
}

tl::expected<Frame, FrameProblem> decode(std::span<const uint8_t> bytes) {
    size_t i = 0;
    while (i < bytes.size() && bytes[i] == kWake) ++i;
    if (i == bytes.size()) return tl::unexpected(FrameProblem::truncated);
    if (bytes[i] != kStart) return tl::unexpected(FrameProblem::no_start);
    Attempt a = attempt(bytes.subspan(i));
    switch (a.status) {
        case Attempt::Status::incomplete:
            return tl::unexpected(FrameProblem::truncated);
        case Attempt::Status::invalid:
            return tl::unexpected(a.problem);
        case Attempt::Status::complete:
            break;
    }
    if (i + a.size != bytes.size()) return tl::unexpected(FrameProblem::trailing);
    return std::move(a.frame);
}

void StreamDecoder::feed(std::span<const uint8_t> bytes) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
}

std::optional<Frame> StreamDecoder::next() {
    size_t i = 0;
    std::optional<Frame> found;
    while (i < pending_.size()) {
        if (pending_[i] != kStart) {
            if (pending_[i] != kWake) ++skipped_;
            ++i;
            continue;
        }
        Attempt a = attempt(std::span(pending_).subspan(i));
        if (a.status == Attempt::Status::incomplete) {
            // A torn frame whose length byte promises more than will ever come must not hold
            // back a whole frame that arrived after it.
            if (auto later = complete_after(std::span(pending_), i)) {
                for (; i < *later; ++i)
                    if (pending_[i] != kWake) ++skipped_;
                continue;
            }
            break;  // wait for more bytes
        }
        if (a.status == Attempt::Status::invalid) {
            // This 68H starts no frame; the next one may.
            ++skipped_;
            ++i;
            continue;
        }
        found = std::move(a.frame);
        i += a.size;
        break;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(i));
    return found;
}

}  // namespace sealwatch::dlt645
