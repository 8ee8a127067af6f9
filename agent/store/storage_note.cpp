#include "store/storage_note.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sealwatch::store {

namespace {

constexpr size_t kSize = 1024;  // the whole file, padding included

}  // namespace

Result<StorageNoteFile> StorageNoteFile::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(path + ": " + std::strerror(errno));
    StorageNoteFile f;
    f.path_ = path;
    f.fd_ = OwnedFd(fd);
    // Allocated now, while there is room: later writes overwrite these blocks.
    if (int rc = ::posix_fallocate(fd, 0, kSize); rc != 0)
        return fail(path + ": " + std::strerror(rc));
    return f;
}

Result<void> StorageNoteFile::write(const StorageNote& note) {
    std::string message = note.message.substr(0, kSize / 2);
    for (char& c : message)
        if (c == '\n' || c == '\0') c = ' ';
    std::string text = note.state + "\n" + std::to_string(note.since) + "\n" + message + "\n";
    text.resize(kSize, '\n');
    ssize_t n;
    do {
        n = ::pwrite(fd_.get(), text.data(), text.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(text.size()))
        return fail(path_ + ": " + std::strerror(n < 0 ? errno : ENOSPC));
    return {};
}

std::optional<StorageNote> read_storage_note(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    StorageNote note;
    std::string since;
    if (!std::getline(in, note.state) || !std::getline(in, since) ||
        !std::getline(in, note.message) || note.state.empty())
        return std::nullopt;
    try {
        note.since = std::stoll(since);
    } catch (...) {
        return std::nullopt;
    }
    return note;
}

}  // namespace sealwatch::store
