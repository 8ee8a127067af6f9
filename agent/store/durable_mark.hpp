#pragma once
// The last chain tip and seq counter that are known to be on stable storage, kept OUTSIDE the
// database: a database that lost its WAL, was truncated, or was swapped for an older copy cannot
// also rewind this file, so comparing the two at start shows a chain that went backwards (and
// from where seq must go on, so that no seq is given out twice).
//
// Written after every commit made with synchronous=FULL (the outbox's, store/outbox.cpp), which
// makes everything before it durable too: the mark never names more than the database holds
// unless the database lost something. One pwrite + fdatasync into one of two fixed slots, taken
// in turn, so that a write torn by a power cut leaves the other slot, one commit older, intact;
// the file never grows and needs no rename (nor a directory sync).
//
// Slot format (64 bytes, integers little-endian): "SWM1", u32 CRC-32 of the bytes after it,
// u64 write counter, i64 chain n, 32-byte chain head, u64 next seq. Bytes 0-63 hold slot A,
// 64-127 slot B; the valid slot with the higher counter is the mark.
#include <cstdint>
#include <optional>
#include <string>

#include "chain/chain.hpp"
#include "common/error.hpp"
#include "store/owned_fd.hpp"

namespace sealwatch::store {

struct DurableMark {
    int64_t chain_n = 0;
    chain::Digest chain_head{};
    uint64_t next_seq = 1;
};

class DurableMarkFile {
  public:
    // Opens (creating if missing) the file; nothing is read or written yet.
    static Result<DurableMarkFile> open(const std::string& path);
    DurableMarkFile() = default;

    // The newest valid slot; nullopt when neither is valid (a new file).
    Result<std::optional<DurableMark>> read();
    // Into the older slot, then fdatasync.
    Result<void> write(const DurableMark& mark);

    const std::string& path() const { return path_; }

  private:
    std::string path_;
    OwnedFd fd_;
    uint64_t counter_ = 0;  // of the newest slot read or written
};

// Reads the mark of a file without keeping it open (nullopt: no file, or no valid slot).
std::optional<DurableMark> read_durable_mark(const std::string& path);

// The mark's file name, next to the database.
inline constexpr const char* kDurableMarkFile = "durable.mark";

}  // namespace sealwatch::store
