#include "common/write_all.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sealwatch {

namespace {

// send() with MSG_NOSIGNAL on a socket; a serial device is no socket, so write() there.
ssize_t write_some(int fd, const uint8_t* bytes, size_t size) {
    const ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) return ::write(fd, bytes, size);
    return n;
}

}  // namespace

Result<void> write_all(int fd, std::span<const uint8_t> bytes,
                       std::chrono::steady_clock::time_point deadline) {
    using Clock = std::chrono::steady_clock;
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = write_some(fd, bytes.data() + done, bytes.size() - done);
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && left.count() > 0) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, static_cast<int>(left.count()));
            continue;
        }
        return fail(n < 0 && errno != EAGAIN ? std::strerror(errno) : "write timed out");
    }
    return {};
}

}  // namespace sealwatch
