#include "dlt645/line.hpp"

#include <fcntl.h>
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

}  // namespace sealwatch::dlt645
