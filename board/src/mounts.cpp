// Linux: which of the declared mount points have a filesystem on them, from the kernel's mount
// table (/proc/self/mountinfo). The file is kept open and read again only when the kernel marks
// it changed (POLLPRI, proc(5)), so watching costs one poll(2) a second while nothing is plugged.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <set>
#include <sstream>

#include "src/parts.hpp"

namespace sealwatch::board::detail {

namespace {

constexpr const char* kMountInfo = "/proc/self/mountinfo";

// mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal).
std::string unescape(const std::string& field) {
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() &&
            std::all_of(field.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                        field.begin() + static_cast<std::ptrdiff_t>(i) + 4,
                        [](char c) { return c >= '0' && c <= '7'; })) {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                     (field[i + 3] - '0'));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

class LinuxStickWatch final : public StickWatch {
  public:
    explicit LinuxStickWatch(std::vector<std::string> mount_points)
        : declared_(std::move(mount_points)) {}
    ~LinuxStickWatch() override {
        if (fd_ >= 0) ::close(fd_);
    }
    LinuxStickWatch(const LinuxStickWatch&) = delete;
    LinuxStickWatch& operator=(const LinuxStickWatch&) = delete;

    Result<std::vector<std::string>> mounted() override {
        if (fd_ < 0) {
            fd_ = ::open(kMountInfo, O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) return fail(std::string(kMountInfo) + ": " + std::strerror(errno));
            if (auto r = reread(); !r) return tl::unexpected(r.error());
        } else {
            struct pollfd p {
                fd_, POLLPRI, 0
            };
            if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR)) != 0)
                if (auto r = reread(); !r) return tl::unexpected(r.error());
        }
        std::vector<std::string> out;
        for (const auto& m : declared_)
            if (points_.contains(m)) out.push_back(m);
        return out;
    }

  private:
    Result<void> reread() {
        std::string text;
        char buf[8192];
        if (::lseek(fd_, 0, SEEK_SET) < 0)
            return fail(std::string(kMountInfo) + ": " + std::strerror(errno));
        while (true) {
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return fail(std::string(kMountInfo) + ": " + std::strerror(errno));
            if (n == 0) break;
            text.append(buf, static_cast<size_t>(n));
        }
        // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": the 5th field.
        points_.clear();
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream fields(line);
            std::string f;
            for (int i = 0; i < 5 && fields >> f; ++i) {
                if (i == 4) points_.insert(unescape(f));
            }
        }
        return {};
    }

    std::vector<std::string> declared_;
    std::set<std::string> points_;
    int fd_ = -1;
};

}  // namespace

std::unique_ptr<StickWatch> linux_stick_watch(std::vector<std::string> mount_points) {
    return std::make_unique<LinuxStickWatch>(std::move(mount_points));
}

}  // namespace sealwatch::board::detail
