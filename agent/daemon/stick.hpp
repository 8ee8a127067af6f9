#pragma once
// An inspector's USB stick as the agent writes it (docs/inspector.md). Everything goes through a
// directory descriptor held on the stick's root from the moment it is seen: a stick that is
// unmounted midway makes the writes fail, they never land in the folder beneath its mount point.
// A bundle is written as <folder>.incomplete, each file and folder fsynced, then renamed to
// <folder>; so whatever a pulled stick keeps is either whole or named incomplete.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sealwatch::daemon {

inline constexpr const char* kSafeToRemoveFile = "SAFE-TO-REMOVE.txt";
inline constexpr const char* kIncompleteSuffix = ".incomplete";
inline constexpr size_t kMaxStickRequests = 8;  // request files read from one stick

// A failed step: errno (ENOSPC: the stick is full) and what was being done.
struct StickError {
    int err = 0;
    std::string message;
};

class Stick {
  public:
    // Opens the stick's root; nullopt (and `error`) when it cannot be opened.
    static std::optional<Stick> open(const std::string& mount_point, StickError& error);
    ~Stick();
    Stick(Stick&& other) noexcept;
    Stick& operator=(Stick&&) = delete;
    Stick(const Stick&) = delete;
    Stick& operator=(const Stick&) = delete;

    bool read_only() const;
    int64_t free_bytes() const;
    // The request files at the root (wire::is_stick_request_name), by name, at most
    // kMaxStickRequests; each read up to one byte past the largest command, so an oversized one
    // is refused as such.
    struct File {
        std::string name, text;
    };
    std::vector<File> requests() const;
    // The stick is still where it was opened: its root not deleted, the same filesystem still
    // mounted at the mount point.
    bool present() const;

    // Copies the files of `bundle_dir` into <folder>.incomplete, syncs, renames it to <folder>
    // and syncs the stick. `between` runs after every piece (64 KiB): false stops the copy.
    std::optional<StickError> copy_bundle(const std::string& bundle_dir, const std::string& folder,
                                          const std::function<bool()>& between);
    // Removes a (partial) folder, recursively; false when it could not.
    bool remove_tree(const std::string& name);
    // Replaces a small file at the root, synced (file, root folder, filesystem).
    std::optional<StickError> write_synced(const std::string& name, const std::string& text);
    std::optional<StickError> remove_synced(const std::string& name);

  private:
    Stick(std::string mount_point, int fd) : mount_point_(std::move(mount_point)), fd_(fd) {}
    std::string mount_point_;
    int fd_ = -1;
};

}  // namespace sealwatch::daemon
