#include "daemon/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

namespace sealwatch::daemon::service_notify {

namespace {

// A decimal integer in 1..max, the whole string: what libsystemd accepts for both variables
// (it too rejects 0, signs, spaces and trailing text).
std::optional<uint64_t> positive(std::string_view s, uint64_t max) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > max) return std::nullopt;
    return v;
}

// Closes the socket on every return path.
struct Fd {
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int fd;
};

}  // namespace

Result<void> notify(std::string_view text) {
    const char* name = std::getenv("NOTIFY_SOCKET");
    if (!name || !*name) return {};
    std::string_view where(name);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // systemd offers only these two forms (its vsock: addresses are for virtual machines'
    // managers, which a gateway does not have).
    if (where[0] != '/' && where[0] != '@')
        return fail("NOTIFY_SOCKET=" + std::string(where) +
                    ": neither a socket path nor an abstract name (@...)");
    if (where.size() > sizeof(addr.sun_path))
        return fail("NOTIFY_SOCKET=" + std::string(where) + ": longer than a unix socket name");
    std::memcpy(addr.sun_path, where.data(), where.size());
    // An abstract name is its bytes after a leading NUL, exactly as long as given: no
    // terminating NUL counted (the address length says where it ends), for paths neither.
    if (where[0] == '@') addr.sun_path[0] = '\0';
    auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + where.size());

    Fd s{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) return fail(std::string("notify socket: ") + std::strerror(errno));
    std::string payload(text);  // iovec wants a mutable pointer; sendmsg does not write to it
    iovec iov{payload.data(), payload.size()};
    msghdr msg{};
    msg.msg_name = &addr;
    msg.msg_namelen = addr_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // MSG_NOSIGNAL: a manager gone away must not kill the agent with SIGPIPE. The send blocks
    // when the manager's queue is full, as libsystemd's does: a manager that far behind would
    // not take WATCHDOG=1 in time anyway.
    ssize_t sent = ::sendmsg(s.fd, &msg, MSG_NOSIGNAL);
    if (sent < 0) return fail("NOTIFY_SOCKET=" + std::string(where) + ": " + std::strerror(errno));
    if (static_cast<size_t>(sent) != payload.size())
        return fail("NOTIFY_SOCKET=" + std::string(where) + ": short send");
    return {};
}

Result<std::optional<std::chrono::microseconds>> watchdog_timeout() {
    const char* usec_text = std::getenv("WATCHDOG_USEC");
    if (!usec_text) return std::nullopt;
    // The bound keeps the agent's nanosecond arithmetic (usec * 1000) inside int64_t; systemd's
    // own "infinity" (2^64 - 1) is beyond it and means no watchdog there too.
    constexpr uint64_t kMaxUsec = std::numeric_limits<int64_t>::max() / 1000;
    auto usec = positive(usec_text, kMaxUsec);
    if (!usec)
        return fail(std::string("WATCHDOG_USEC=") + usec_text +
                    ": not a positive number of microseconds");
    // A WATCHDOG_PID names the process the manager watches: when it is another one (a parent
    // that passed its environment on), the watchdog is not ours to feed.
    if (const char* pid_text = std::getenv("WATCHDOG_PID")) {
        auto pid = positive(pid_text, static_cast<uint64_t>(std::numeric_limits<pid_t>::max()));
        if (!pid) return fail(std::string("WATCHDOG_PID=") + pid_text + ": not a process id");
        if (*pid != static_cast<uint64_t>(::getpid())) return std::nullopt;
    }
    return std::chrono::microseconds(static_cast<int64_t>(*usec));
}

}  // namespace sealwatch::daemon::service_notify
