#include "modbus/rtu_tcp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "common/tcp_connect.hpp"
#include "common/write_all.hpp"

namespace sealwatch::modbus {

namespace {

using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point t) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

tl::unexpected<ReadError> error(ErrorKind kind, std::string message) {
    return tl::unexpected(ReadError{kind, 0, std::move(message)});
}

}  // namespace

RtuTcpClient::RtuTcpClient(RtuTcpLink link, LinkOptions options)
    : link_(std::move(link)), options_(options) {}

RtuTcpClient::~RtuTcpClient() {
    disconnect();
}

std::string RtuTcpClient::describe() const {
    return "rtu tcp " + link_.host + ":" + std::to_string(link_.port);
}

tl::expected<void, ReadError> RtuTcpClient::connect() {
    if (fd_ >= 0) return {};
    // A DTU whose 4G link is down does not refuse, it just never answers the SYN: the connect
    // gets the response timeout, not the kernel's two minutes.
    auto fd = connect_tcp(link_.host, link_.port, options_.response_timeout);
    if (!fd) return error(ErrorKind::link, "connect: " + fd.error().message);
    fd_ = *fd;
    return {};
}

void RtuTcpClient::disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

// Whatever waits on the socket now answers nothing we are about to ask: the late answer of a
// meter that timed out, noise from the RS-485 side. False when the DTU has closed the link.
bool RtuTcpClient::drain_input() {
    uint8_t junk[256];
    while (true) {
        const ssize_t n = ::recv(fd_, junk, sizeof junk, MSG_DONTWAIT);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

tl::expected<void, ReadError> RtuTcpClient::send(std::span<const uint8_t> bytes) {
    if (auto sent = write_all(fd_, bytes, Clock::now() + options_.response_timeout); !sent) {
        disconnect();
        return error(ErrorKind::link, "send: " + sent.error().message);
    }
    return {};
}

rtu::Verdict RtuTcpClient::exchange(const rtu::ReadRequest& request) {
    if (auto s = send(rtu::encode(request)); !s) return tl::unexpected(s.error());
    rtu::ReplyScanner scanner(request);
    auto deadline = Clock::now() + options_.response_timeout;
    while (true) {
        pollfd p{fd_, POLLIN, 0};
        const int rc = ::poll(&p, 1, ms_until(deadline));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) {
            std::string why = std::strerror(errno);
            disconnect();
            return error(ErrorKind::link, "poll: " + why);
        }
        if (rc == 0) break;  // the time is up
        uint8_t chunk[512];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
            std::string why = n == 0 ? "connection closed by the far end" : std::strerror(errno);
            disconnect();
            return error(ErrorKind::link, why);
        }
        scanner.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
        if (auto verdict = scanner.next()) return std::move(*verdict);
        // An answer under way gets byte_timeout past its last byte, even beyond the first
        // limit; a garbled answer of ours is not followed by a good one, so stop waiting then.
        const auto after_last = Clock::now() + options_.byte_timeout;
        deadline = scanner.saw_garbled_reply() ? after_last : std::max(deadline, after_last);
    }
    // Frames of other units (late answers) were skipped whole: the stream is in step and our
    // meter simply did not answer. Noise, half a frame or our answer garbled is a bad frame.
    const bool garbage = scanner.saw_garbled_reply() || scanner.pending() > 0 ||
                         (scanner.skipped() > 0 && scanner.rejected().empty());
    if (garbage)
        return error(ErrorKind::bad_frame,
                     scanner.rejected().empty()
                         ? "no valid frame in " +
                               std::to_string(scanner.skipped() + scanner.pending()) + " bytes"
                         : scanner.rejected());
    return error(ErrorKind::timeout, scanner.rejected().empty()
                                         ? "no answer in time"
                                         : "no answer in time (" + scanner.rejected() + ")");
}

tl::expected<std::vector<uint16_t>, ReadError> RtuTcpClient::read(int unit, Table table,
                                                                  uint16_t address,
                                                                  uint16_t count) {
    if (count == 0 || count > kMaxReadRegisters)
        return error(ErrorKind::link, "register count out of range");
    if (unit < 1 || unit > 247) return error(ErrorKind::link, "invalid unit id");
    if (auto ok = connect(); !ok) return tl::unexpected(ok.error());
    if (Clock::now() < quiet_until_) std::this_thread::sleep_until(quiet_until_);
    if (!drain_input()) {
        // The DTU dropped the link while the bus was idle (they do, on every 4G hiccup and
        // at their own idle timeouts): one fresh connection, and the request goes on that.
        disconnect();
        if (auto ok = connect(); !ok) return tl::unexpected(ok.error());
    }
    auto answer = exchange({static_cast<uint8_t>(unit), table, address, count});
    quiet_until_ = Clock::now() + options_.inter_frame_delay;
    // The stream may hold half of a garbled frame that the next answer would be read behind.
    if (!answer && answer.error().kind == ErrorKind::bad_frame) disconnect();
    return answer;
}

}  // namespace sealwatch::modbus
