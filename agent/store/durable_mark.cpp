#include "store/durable_mark.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <span>

#include "store/reading_journal.hpp"  // crc32

namespace sealwatch::store {

static_assert(std::endian::native == std::endian::little,
              "the mark is written as little-endian by memcpy");

namespace {

constexpr char kMagic[4] = {'S', 'W', 'M', '1'};
constexpr size_t kSlot = 64;
constexpr size_t kBody = 8 + 8 + 32 + 8;  // counter, n, head, next seq: what the CRC covers
static_assert(4 + 4 + kBody <= kSlot);

struct Slot {
    uint64_t counter = 0;
    DurableMark mark;
};

std::array<uint8_t, kSlot> encode(uint64_t counter, const DurableMark& m) {
    std::array<uint8_t, kSlot> b{};
    uint8_t* body = b.data() + 8;
    std::memcpy(body, &counter, 8);
    std::memcpy(body + 8, &m.chain_n, 8);
    std::memcpy(body + 16, m.chain_head.data(), 32);
    std::memcpy(body + 48, &m.next_seq, 8);
    uint32_t crc = crc32(std::span<const uint8_t>(body, kBody));
    std::memcpy(b.data(), kMagic, 4);
    std::memcpy(b.data() + 4, &crc, 4);
    return b;
}

std::optional<Slot> decode(std::span<const uint8_t> b) {
    if (b.size() < kSlot || std::memcmp(b.data(), kMagic, 4) != 0) return std::nullopt;
    uint32_t crc = 0;
    std::memcpy(&crc, b.data() + 4, 4);
    const uint8_t* body = b.data() + 8;
    if (crc != crc32(std::span<const uint8_t>(body, kBody))) return std::nullopt;
    Slot s;
    std::memcpy(&s.counter, body, 8);
    std::memcpy(&s.mark.chain_n, body + 8, 8);
    std::memcpy(s.mark.chain_head.data(), body + 16, 32);
    std::memcpy(&s.mark.next_seq, body + 48, 8);
    return s;
}

std::optional<Slot> newest(int fd) {
    std::array<uint8_t, 2 * kSlot> all{};
    ssize_t n = ::pread(fd, all.data(), all.size(), 0);
    if (n < 0) return std::nullopt;
    auto got = static_cast<size_t>(n);
    std::optional<Slot> best;
    for (size_t at = 0; at + kSlot <= got; at += kSlot)
        if (auto s = decode(std::span<const uint8_t>(all.data() + at, kSlot)))
            if (!best || s->counter > best->counter) best = s;
    return best;
}

}  // namespace

Result<DurableMarkFile> DurableMarkFile::open(const std::string& path) {
    const bool existed = std::filesystem::exists(path);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return fail(path + ": " + std::strerror(errno));
    DurableMarkFile f;
    f.path_ = path;
    f.fd_ = OwnedFd(fd);
    if (!existed) {
        // Both slots' blocks are allocated now, so that a later write cannot meet a full disk;
        // the directory is synced once so that the file itself survives a power cut.
        std::array<uint8_t, 2 * kSlot> zeros{};
        if (::pwrite(fd, zeros.data(), zeros.size(), 0) != static_cast<ssize_t>(zeros.size()) ||
            ::fdatasync(fd) != 0)
            return fail(path + ": " + std::strerror(errno));
        auto dir = std::filesystem::path(path).parent_path();
        int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)::fsync(dfd);
            ::close(dfd);
        }
    }
    return f;
}

Result<std::optional<DurableMark>> DurableMarkFile::read() {
    auto s = newest(fd_.get());
    if (!s) return std::optional<DurableMark>();
    counter_ = s->counter;
    return std::optional<DurableMark>(s->mark);
}

Result<void> DurableMarkFile::write(const DurableMark& mark) {
    const uint64_t counter = counter_ + 1;
    auto bytes = encode(counter, mark);
    // Slot A holds the odd writes, B the even ones: the slot written now is never the newest.
    const off_t at = (counter % 2 == 1) ? 0 : static_cast<off_t>(kSlot);
    ssize_t n;
    do {
        n = ::pwrite(fd_.get(), bytes.data(), bytes.size(), at);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(bytes.size()))
        return fail(path_ + ": " + std::strerror(n < 0 ? errno : ENOSPC));
    if (::fdatasync(fd_.get()) != 0) return fail(path_ + ": " + std::strerror(errno));
    counter_ = counter;
    return {};
}

std::optional<DurableMark> read_durable_mark(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    auto s = newest(fd);
    ::close(fd);
    if (!s) return std::nullopt;
    return s->mark;
}

}  // namespace sealwatch::store
