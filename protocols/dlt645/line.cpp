#include "dlt645/line.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace sealwatch::dlt645 {

namespace {

std::optional<speed_t> speed_of(int baud) {
    switch (baud) {
        case 300:
            return B300;
        case 600:
            return B600;
        case 1200:
            return B1200;
        case 2400:
            return B2400;
        case 4800:
            return B4800;
        case 9600:
            return B9600;
        case 19200:
            return B19200;
        case 38400:
            return B38400;
        case 57600:
            return B57600;
        case 115200:
            return B115200;
        default:
            return std::nullopt;
    }
}

tcflag_t size_of(int data_bits) {
    switch (data_bits) {
        case 5:
            return CS5;
        case 6:
            return CS6;
        case 7:
            return CS7;
        default:
            return CS8;
    }
}

}  // namespace

std::string describe(const SerialSettings& s) {
    return s.device + " " + std::to_string(s.baud) + " " + std::to_string(s.data_bits) + s.parity +
           std::to_string(s.stop_bits);
}

std::chrono::microseconds byte_time(const SerialSettings& s) {
    const int bits = 1 + s.data_bits + (s.parity == 'N' ? 0 : 1) + s.stop_bits;
    return std::chrono::microseconds(bits * 1000000LL / (s.baud > 0 ? s.baud : 1));
}

Result<int> open_serial(const SerialSettings& s) {
    const auto speed = speed_of(s.baud);
    if (!speed) return fail(s.device + ": unsupported baud rate " + std::to_string(s.baud));
    const int fd = ::open(s.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(s.device + ": cannot open: " + std::strerror(errno));
    termios tio{};
    if (::tcgetattr(fd, &tio) != 0) {
        std::string msg = s.device + ": not a serial line: " + std::strerror(errno);
        ::close(fd);
        return fail(msg);
    }
    ::cfmakeraw(&tio);
    ::cfsetispeed(&tio, *speed);
    ::cfsetospeed(&tio, *speed);
    tio.c_cflag = static_cast<tcflag_t>(
        (tio.c_cflag & ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB)) |
        size_of(s.data_bits) | CLOCAL | CREAD);
    if (s.parity != 'N') tio.c_cflag |= PARENB;
    if (s.parity == 'O') tio.c_cflag |= PARODD;
    if (s.stop_bits == 2) tio.c_cflag |= CSTOPB;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
        std::string msg = s.device + ": cannot set " + describe(s) + ": " + std::strerror(errno);
        ::close(fd);
        return fail(msg);
    }
    ::tcflush(fd, TCIOFLUSH);
    return fd;
}

Result<int> connect_tcp(const std::string& host, int port, std::chrono::milliseconds timeout) {
    const std::string where = host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
        return fail(where + ": " + ::gai_strerror(rc));
    std::string last = "no address";
    int fd = -1;
    for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last = std::strerror(errno);
            continue;
        }
        int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
            int err = 0;
            socklen_t len = sizeof err;
            if (rc == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
                rc = 0;
            } else {
                last = rc == 0 ? "connect timed out" : std::strerror(err ? err : errno);
                rc = -1;
            }
        } else if (rc != 0) {
            last = std::strerror(errno);
        }
        if (rc != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd < 0) return fail(where + ": " + last);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace sealwatch::dlt645
