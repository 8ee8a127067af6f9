#include "store/reading_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

#include "store/store.hpp"

namespace sealwatch::store {

static_assert(std::endian::native == std::endian::little,
              "the journal is written as little-endian by memcpy");

namespace {

constexpr char kMagic1[4] = {'S', 'W', 'J', '1'};  // records without their generation
constexpr char kMagic[4] = {'S', 'W', 'J', '2'};
constexpr size_t kHeaderBytes = 4 + 8 + 4;
constexpr size_t kRecordHead = 4 + 4;  // payload length, CRC
constexpr uint16_t kNoSerial = 0xFFFF;
constexpr uint8_t kFlagClockUnsynced = 1;
// Far beyond any real reading (a meter id ≤ 64 chars, ≤ 256 values of 9 bytes): a length above
// this is a torn or foreign record, not a reason to allocate.
constexpr uint32_t kMaxPayload = 64 * 1024;
// A new generation overwrites the last one's records in place rather than truncating the file,
// so that the pages the kernel still holds dirty are dirtied again, not allocated anew (each new
// page is a page of write_bytes); a file grown past this (a long store outage) is emptied.
constexpr off_t kReuseBytes = off_t{256} * 1024;

constexpr std::array<uint32_t, 256> make_crc_table() {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kCrcTable = make_crc_table();

template <typename T>
void put(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

// Reads fixed-size fields from a record's payload; any read past the end marks it bad.
struct Cursor {
    std::span<const uint8_t> in;
    size_t at = 0;
    bool bad = false;
    template <typename T>
    T get() {
        T v{};
        if (in.size() - at < sizeof(T)) {
            bad = true;
            return v;
        }
        std::memcpy(&v, in.data() + at, sizeof(T));
        at += sizeof(T);
        return v;
    }
    std::string text(size_t n) {
        if (in.size() - at < n) {
            bad = true;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(in.data() + at), n);
        at += n;
        return s;
    }
};

std::span<const uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Result<void> write_all(int fd, const std::string& data, uint64_t offset, const std::string& path) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n =
            ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(path + ": " + std::strerror(n < 0 ? errno : ENOSPC));
        done += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

Result<ReadingJournal> ReadingJournal::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return fail(path + ": " + std::strerror(errno));
    ReadingJournal j;
    j.path_ = path;
    j.fd_ = OwnedFd(fd);
    return j;
}

Result<ReadingJournal::Contents> ReadingJournal::read() const {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return fail(path_ + ": " + std::strerror(errno));
    std::vector<uint8_t> all(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < all.size()) {
        ssize_t n = ::pread(fd_.get(), all.data() + got, all.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(path_ + ": " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    all.resize(got);
    Contents c;
    std::span<const uint8_t> in(all);
    const bool tagged = in.size() >= kHeaderBytes && std::memcmp(in.data(), kMagic, 4) == 0;
    if (in.size() < kHeaderBytes || (!tagged && std::memcmp(in.data(), kMagic1, 4) != 0)) {
        c.torn_tail = !in.empty();
        return c;
    }
    uint32_t header_crc = 0;
    std::memcpy(&header_crc, in.data() + 12, 4);
    if (crc32(in.first(12)) != header_crc) {
        c.torn_tail = true;
        return c;
    }
    std::memcpy(&c.generation, in.data() + 4, 8);
    size_t at = kHeaderBytes;
    bool older_generation = false;  // the end of this generation, before a previous one's records
    while (at < in.size()) {
        if (in.size() - at < kRecordHead) break;
        uint32_t length = 0, crc = 0;
        std::memcpy(&length, in.data() + at, 4);
        std::memcpy(&crc, in.data() + at + 4, 4);
        if (length > kMaxPayload || in.size() - at - kRecordHead < length) break;
        auto payload = in.subspan(at + kRecordHead, length);
        if (crc32(payload) != crc) break;
        Cursor cur{payload};
        if (tagged && cur.get<uint64_t>() != c.generation) {
            older_generation = true;
            break;
        }
        Reading r;
        r.wall_ms = cur.get<int64_t>();
        r.meter = cur.text(cur.get<uint16_t>());
        auto serial_len = cur.get<uint16_t>();
        if (serial_len != kNoSerial) r.serial = cur.text(serial_len);
        auto count = cur.get<uint16_t>();
        r.values.reserve(count);
        for (uint16_t i = 0; i < count && !cur.bad; ++i) {
            QuantityValue v{cur.get<uint8_t>(), 0.0};
            v.value = cur.get<double>();
            r.values.push_back(v);
        }
        // Older records end after their values, or after their ratios.
        if (!cur.bad && cur.at != payload.size()) {
            r.ratios.ct = cur.get<double>();
            r.ratios.pt = cur.get<double>();
        }
        if (!cur.bad && cur.at != payload.size())
            r.clock_unsynced = (cur.get<uint8_t>() & kFlagClockUnsynced) != 0;
        if (cur.bad || cur.at != payload.size()) break;  // a checksummed record of another form
        c.readings.push_back(std::move(r));
        at += kRecordHead + length;
    }
    c.torn_tail = at < in.size() && !older_generation;
    return c;
}

Result<void> ReadingJournal::start(uint64_t generation) {
    // Overwritten in place only over records this object wrote, all of older generations (the
    // first start after open() empties the file: whatever it held is not known to be older).
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return fail(path_ + ": " + std::strerror(errno));
    if (generation <= generation_ || generation_ == 0 || st.st_size > kReuseBytes)
        if (::ftruncate(fd_.get(), 0) != 0) return fail(path_ + ": " + std::strerror(errno));
    size_ = 0;
    std::string header(kMagic, 4);
    put(header, generation);
    put(header, crc32(bytes_of(header)));
    if (auto w = write_all(fd_.get(), header, 0, path_); !w) return w;
    size_ = header.size();
    generation_ = generation;
    return {};
}

Result<void> ReadingJournal::append(const Reading& reading) {
    if (reading.meter.size() > std::numeric_limits<uint16_t>::max() ||
        (reading.serial && reading.serial->size() >= kNoSerial) ||
        reading.values.size() > std::numeric_limits<uint16_t>::max())
        return fail(path_ + ": reading too large for the journal");
    record_.assign(kRecordHead, '\0');
    put(record_, generation_);
    put(record_, static_cast<int64_t>(reading.wall_ms));
    put(record_, static_cast<uint16_t>(reading.meter.size()));
    record_ += reading.meter;
    if (reading.serial) {
        put(record_, static_cast<uint16_t>(reading.serial->size()));
        record_ += *reading.serial;
    } else {
        put(record_, kNoSerial);
    }
    put(record_, static_cast<uint16_t>(reading.values.size()));
    for (const auto& v : reading.values) {
        put(record_, v.quantity);
        put(record_, v.value);
    }
    put(record_, reading.ratios.ct);
    put(record_, reading.ratios.pt);
    put(record_, static_cast<uint8_t>(reading.clock_unsynced ? kFlagClockUnsynced : 0));
    const auto length = static_cast<uint32_t>(record_.size() - kRecordHead);
    const uint32_t crc = crc32(bytes_of(record_).subspan(kRecordHead));
    std::memcpy(record_.data(), &length, 4);
    std::memcpy(record_.data() + 4, &crc, 4);
    if (auto w = write_all(fd_.get(), record_, size_, path_); !w) {
        // Whatever part of the record reached the file must not sit in front of the next one.
        (void)::ftruncate(fd_.get(), static_cast<off_t>(size_));
        return w;
    }
    size_ += record_.size();
    return {};
}

Result<JournalRecovery> fold_journal(ReadingJournal& journal, Store& store) {
    auto contents = journal.read();
    if (!contents) return tl::unexpected(contents.error());
    auto folded = store.journal_folded();
    if (!folded) return tl::unexpected(folded.error());
    JournalRecovery out;
    out.torn_tail = contents->torn_tail;
    if (contents->generation > *folded && !contents->readings.empty()) {
        if (auto r = store.append_readings(contents->readings, contents->generation); r) {
            out.replayed = contents->readings.size();
        } else {
            out.store_error = r.error().message;
            out.unstored = std::move(contents->readings);
        }
    }
    if (auto r = journal.start(std::max(*folded, contents->generation) + 1); !r)
        return tl::unexpected(r.error());
    for (const auto& reading : out.unstored)
        if (auto r = journal.append(reading); !r) return tl::unexpected(r.error());
    return out;
}

}  // namespace sealwatch::store
