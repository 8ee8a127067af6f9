#include "daemon/stick.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "wire/command.hpp"

namespace sealwatch::daemon {

namespace fs = std::filesystem;

namespace {

constexpr size_t kPieceBytes = size_t{64} * 1024;

StickError error_here(const std::string& what) {
    return {errno, what + ": " + std::strerror(errno)};
}

// Closes a descriptor when it goes out of scope.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

// The names in a folder (not . and ..), through a descriptor of our own.
std::vector<std::string> names_in(int dir_fd) {
    std::vector<std::string> out;
    int copy = ::dup(dir_fd);
    if (copy < 0) return out;
    DIR* d = ::fdopendir(copy);
    if (!d) {
        ::close(copy);
        return out;
    }
    ::rewinddir(d);
    while (const dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

bool remove_at(int dir_fd, const std::string& name) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return true;
    if (errno != EISDIR && errno != EPERM) return false;
    Fd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub.fd < 0) return false;
    for (const auto& n : names_in(sub.fd))
        if (!remove_at(sub.fd, n)) return false;
    return ::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) == 0;
}

std::optional<StickError> write_all(int fd, const char* data, size_t size,
                                    const std::string& what) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return error_here("writing " + what);
        data += n;
        size -= static_cast<size_t>(n);
    }
    return std::nullopt;
}

}  // namespace

std::optional<Stick> Stick::open(const std::string& mount_point, StickError& error) {
    int fd = ::open(mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error = error_here("opening " + mount_point);
        return std::nullopt;
    }
    return Stick(mount_point, fd);
}

Stick::~Stick() {
    if (fd_ >= 0) ::close(fd_);
}

Stick::Stick(Stick&& other) noexcept
    : mount_point_(std::move(other.mount_point_)), fd_(std::exchange(other.fd_, -1)) {}

bool Stick::read_only() const {
    struct statvfs s {};
    return ::fstatvfs(fd_, &s) == 0 && (s.f_flag & ST_RDONLY) != 0;
}

int64_t Stick::free_bytes() const {
    struct statvfs s {};
    if (::fstatvfs(fd_, &s) != 0) return 0;
    return static_cast<int64_t>(s.f_bavail) * static_cast<int64_t>(s.f_frsize);
}

std::vector<Stick::File> Stick::requests() const {
    std::vector<File> out;
    for (const auto& name : names_in(fd_)) {
        if (!wire::is_stick_request_name(name)) continue;
        if (out.size() == kMaxStickRequests) break;
        Fd f(::openat(fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (f.fd < 0) continue;
        File file{name, std::string(wire::kCommandMaxBytes + 1, '\0')};
        size_t got = 0;
        while (got < file.text.size()) {
            ssize_t n = ::read(f.fd, file.text.data() + got, file.text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<size_t>(n);
        }
        file.text.resize(got);
        // The file ends with a newline for people; the envelope is the JSON before it.
        while (!file.text.empty() && (file.text.back() == '\n' || file.text.back() == '\r'))
            file.text.pop_back();
        out.push_back(std::move(file));
    }
    return out;
}

bool Stick::present() const {
    struct stat root {
    }, now{};
    if (::fstat(fd_, &root) != 0 || root.st_nlink == 0) return false;
    if (::stat(mount_point_.c_str(), &now) != 0) return false;
    return root.st_dev == now.st_dev && root.st_ino == now.st_ino;
}

std::optional<StickError> Stick::copy_bundle(const std::string& bundle_dir,
                                             const std::string& folder,
                                             const std::function<bool()>& between) {
    const std::string partial = folder + kIncompleteSuffix;
    if (!remove_tree(partial)) return error_here("removing an old " + partial);
    if (::mkdirat(fd_, partial.c_str(), 0755) != 0) return error_here("creating " + partial);
    Fd top(::openat(fd_, partial.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (top.fd < 0) return error_here("opening " + partial);

    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(bundle_dir, ec))
        if (e.is_regular_file()) files.push_back(fs::relative(e.path(), bundle_dir));
    if (ec) return StickError{ec.value(), "reading the bundle: " + ec.message()};
    std::sort(files.begin(), files.end());

    std::string buffer(kPieceBytes, '\0');
    std::vector<std::string> made;  // subfolders, synced at the end
    for (const auto& rel : files) {
        // The bundle's subfolders (context/) one level at a time, below the partial folder.
        std::string sub;
        for (const auto& part : rel.parent_path()) {
            sub += (sub.empty() ? "" : "/") + part.string();
            if (std::find(made.begin(), made.end(), sub) != made.end()) continue;
            if (::mkdirat(top.fd, sub.c_str(), 0755) != 0 && errno != EEXIST)
                return error_here("creating " + partial + "/" + sub);
            made.push_back(sub);
        }
        const std::string name = rel.generic_string();
        Fd in(::open((fs::path(bundle_dir) / rel).c_str(), O_RDONLY | O_CLOEXEC));
        if (in.fd < 0) return error_here("reading " + name);
        Fd out(::openat(top.fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (out.fd < 0) return error_here("creating " + partial + "/" + name);
        while (true) {
            ssize_t n = ::read(in.fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return error_here("reading " + name);
            if (n == 0) break;
            if (auto e = write_all(out.fd, buffer.data(), static_cast<size_t>(n), name)) return e;
            if (!between()) return StickError{ECANCELED, "stopped while writing " + name};
        }
        if (::fsync(out.fd) != 0) return error_here("syncing " + name);
    }
    for (const auto& sub : made) {
        Fd d(::openat(top.fd, sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (d.fd < 0 || ::fsync(d.fd) != 0) return error_here("syncing " + sub);
    }
    if (::fsync(top.fd) != 0) return error_here("syncing " + partial);
    if (!between()) return StickError{ECANCELED, "stopped before naming " + folder};
    if (::renameat(fd_, partial.c_str(), fd_, folder.c_str()) != 0)
        return error_here("naming " + folder);
    if (::fsync(fd_) != 0) return error_here("syncing the stick's root");
    if (::syncfs(fd_) != 0) return error_here("syncing the stick");
    return std::nullopt;
}

bool Stick::remove_tree(const std::string& name) {
    return remove_at(fd_, name);
}

std::optional<StickError> Stick::write_synced(const std::string& name, const std::string& text) {
    const std::string tmp = name + ".tmp";
    {
        Fd f(::openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (f.fd < 0) return error_here("creating " + tmp);
        if (auto e = write_all(f.fd, text.data(), text.size(), tmp)) return e;
        if (::fsync(f.fd) != 0) return error_here("syncing " + tmp);
    }
    if (::renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0) return error_here("naming " + name);
    if (::fsync(fd_) != 0) return error_here("syncing the stick's root");
    if (::syncfs(fd_) != 0) return error_here("syncing the stick");
    return std::nullopt;
}

std::optional<StickError> Stick::remove_synced(const std::string& name) {
    if (::unlinkat(fd_, name.c_str(), 0) != 0) {
        if (errno == ENOENT) return std::nullopt;
        return error_here("removing " + name);
    }
    if (::fsync(fd_) != 0) return error_here("syncing the stick's root");
    return std::nullopt;
}

}  // namespace sealwatch::daemon
