#pragma once
// The readings polled since the last flush, kept where a killed agent cannot take them with it:
// an append-only file next to the database, one write(2) per reading and no fsync. The kernel's
// page cache outlives the process, so a kill -9 (or a crash) loses nothing appended here, while
// the flash sees the few bytes of each record instead of a SQLite page per commit. A power cut
// can lose what the kernel had not written back yet (docs/operator.md).
//
// The owner folds the journal into the store at every flush (Store::append_readings with the
// journal's generation, which the store records in the same transaction) and then starts a
// new generation; at start, a journal whose generation the store has not recorded is replayed
// (fold_journal): a reading is stored once, whether the agent died before, during or after a fold.
//
// A new generation overwrites the previous one's records in place (the file is emptied only
// at the first start of a run or when it grew large): the kernel's dirty pages are reused, not
// new ones allocated, so the journal costs the flash almost nothing between writebacks. Each
// record names its generation, so what is left of an older one after the last record is known
// for what it is (the end), never replayed.
//
// File format (integers little-endian):
//   header  "SWJ2", u64 generation, u32 CRC-32 of the 12 bytes before it
//   record  u32 payload length, u32 CRC-32 of the payload, payload:
//           u64 generation (the header's; another one ends the journal), i64 wall_ms, u16 meter
//           length, meter, u16 serial length (0xFFFF: none), serial, u16 value count, then (u8
//           quantity, f64 value) per value, then (since the CT/PT ratios) f64 ct_ratio, f64
//           pt_ratio, then (since the clock state) u8 flags: bit 0 clock_unsynced
//   A record that ends after its values or after its ratios (written by an earlier agent)
//   reads with ratios 1 and the clock synchronised, and a file headed "SWJ1" has records
//   without the generation (emptied at every start then), so a journal left by an earlier
//   version is still replayed after an upgrade.
// The first record that is short or fails its CRC ends the journal: a torn tail, from a
// process killed in mid-write or a power cut, is detected and dropped, never misread.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "model/reading.hpp"
#include "store/owned_fd.hpp"

namespace sealwatch::store {

class Store;

class ReadingJournal {
  public:
    // Opens (creating if missing) the journal file; nothing is read or written yet.
    static Result<ReadingJournal> open(const std::string& path);
    ReadingJournal() = default;

    struct Contents {
        uint64_t generation = 0;  // 0: no valid header (a new or empty file)
        std::vector<Reading> readings;
        bool torn_tail = false;  // bytes after the last whole record were dropped
    };
    // What the file holds now, from its start.
    Result<Contents> read() const;
    // Writes the header of `generation` (emptying the file, or overwriting the previous
    // generation's records from the start when this object wrote them); appends go after it.
    Result<void> start(uint64_t generation);
    // One record, one write(2). On failure the file is cut back to its last whole record.
    Result<void> append(const Reading& reading);

    uint64_t generation() const { return generation_; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    OwnedFd fd_;
    uint64_t generation_ = 0;
    uint64_t size_ = 0;   // end of the last whole record
    std::string record_;  // reused for every append
};

// At start: replays into the store whatever the journal holds that the store has not folded (a
// previous run that was killed), then starts the journal on a generation the store has not
// seen. When the store refuses them (disk full), the readings are written again into the new
// generation and handed back in `unstored`, for the caller to keep pending.
struct JournalRecovery {
    size_t replayed = 0;
    bool torn_tail = false;
    std::vector<Reading> unstored;
    std::string store_error;  // why they are unstored
};
Result<JournalRecovery> fold_journal(ReadingJournal& journal, Store& store);

// The journal's file name, next to the database.
inline constexpr const char* kJournalFile = "readings.journal";

// CRC-32 (IEEE 802.3, as zlib's crc32), for the journal's records.
uint32_t crc32(std::span<const uint8_t> bytes);

}  // namespace sealwatch::store
