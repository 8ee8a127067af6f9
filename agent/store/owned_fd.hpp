#pragma once
// A file descriptor owned by one object: closed once, when its owner goes; moved, never copied.
// The store's small files (reading journal, durable mark, storage note) hold theirs in one, so
// that their own moves and destructors are the defaults.
#include <unistd.h>

#include <utility>

namespace sealwatch::store {

class OwnedFd {
  public:
    OwnedFd() = default;
    explicit OwnedFd(int fd) : fd_(fd) {}
    ~OwnedFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    OwnedFd& operator=(OwnedFd&& other) noexcept {
        if (this != &other) {
            if (fd_ >= 0) ::close(fd_);
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    OwnedFd(const OwnedFd&) = delete;
    OwnedFd& operator=(const OwnedFd&) = delete;

    int get() const { return fd_; }

  private:
    int fd_ = -1;
};

}  // namespace sealwatch::store
