#pragma once
// The agent's own word on its storage, for `sealwatch status`, kept OUTSIDE the database: when
// the disk is full or the database damaged, the database is exactly what cannot say so. One small
// file written in place (its blocks are allocated when it is made, so a full disk cannot refuse
// the write); not synced: it describes the running agent, a power cut makes it stale anyway
// and the agent rewrites it at start.
//
// Text, one field per line, padded with newlines to a fixed size: state, since (Unix ms),
// message. States: "ok", "full" (writes refused for lack of space: polling and detecting go
// on, readings and events wait in memory), "replaced" (a damaged database was set aside just
// now and a new one started; the next write says "ok").
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/owned_fd.hpp"

namespace sealwatch::store {

struct StorageNote {
    std::string state = "ok";
    WallMs since = 0;
    std::string message;
};

class StorageNoteFile {
  public:
    static Result<StorageNoteFile> open(const std::string& path);
    StorageNoteFile() = default;

    Result<void> write(const StorageNote& note);

  private:
    std::string path_;
    OwnedFd fd_;
};

std::optional<StorageNote> read_storage_note(const std::string& path);

// The note's file name, next to the database.
inline constexpr const char* kStorageNoteFile = "storage.note";

}  // namespace sealwatch::store
