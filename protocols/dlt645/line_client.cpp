#include "dlt645/line_client.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "common/tcp_connect.hpp"
#include "common/write_all.hpp"

namespace sealwatch::dlt645 {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

tl::unexpected<ExchangeError> error(ErrorKind kind, std::string message) {
    return tl::unexpected(ExchangeError{kind, std::move(message)});
}

int ms_until(Clock::time_point t) {
    const auto left = std::chrono::duration_cast<milliseconds>(t - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::timeout:
            return "timeout";
        case ErrorKind::bad_frame:
            return "bad frame";
        case ErrorKind::link:
            return "link";
    }
    return "?";
}

LineClient::LineClient(std::variant<SerialSettings, TcpSettings> line, Timing timing)
    : line_(std::move(line)), timing_(timing) {}

LineClient::~LineClient() {
    disconnect();
}

std::string LineClient::describe() const {
    if (const auto* t = std::get_if<TcpSettings>(&line_))
        return "dlt645 tcp " + t->host + ":" + std::to_string(t->port);
    return "dlt645 " + dlt645::describe(std::get<SerialSettings>(line_));
}

tl::expected<void, ExchangeError> LineClient::connect() {
    if (fd_ >= 0) return {};
    Result<int> fd = is_tcp()
                         ? connect_tcp(std::get<TcpSettings>(line_).host,
                                       std::get<TcpSettings>(line_).port, timing_.response_timeout)
                         : open_serial(std::get<SerialSettings>(line_));
    if (!fd) return error(ErrorKind::link, fd.error().message);
    fd_ = *fd;
    return {};
}

void LineClient::disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void LineClient::drain_input() {
    // Whatever waits on the line now answers nothing we are about to ask: a late reply, noise.
    uint8_t junk[256];
    while (::read(fd_, junk, sizeof junk) > 0) {
    }
}

tl::expected<void, ExchangeError> LineClient::send(const std::vector<uint8_t>& bytes) {
    if (auto sent = write_all(fd_, bytes, Clock::now() + timing_.response_timeout); !sent) {
        disconnect();
        return error(ErrorKind::link, "cannot send: " + sent.error().message);
    }
    // The request is on the line only once the UART has shifted it out.
    if (!is_tcp()) ::tcdrain(fd_);
    return {};
}

tl::expected<Reply, ExchangeError> LineClient::exchange(const Frame& request) {
    if (auto c = connect(); !c) return tl::unexpected(c.error());
    if (Clock::now() < quiet_until_) std::this_thread::sleep_until(quiet_until_);
    drain_input();
    StreamDecoder decoder;
    auto finish = [&](auto result) {
        quiet_until_ = Clock::now() + timing_.inter_frame_delay;
        return result;
    };
    if (auto s = send(encode(request, timing_.preamble)); !s)
        return finish(tl::unexpected(s.error()));

    std::string rejected;  // why the last frame that came was not the answer
    bool any_byte = false;
    auto deadline = Clock::now() + timing_.response_timeout;
    while (true) {
        pollfd p{fd_, POLLIN, 0};
        const int rc = ::poll(&p, 1, ms_until(deadline));
        if (rc < 0 && errno != EINTR) {
            std::string msg = std::strerror(errno);
            disconnect();
            return finish(error(ErrorKind::link, "poll: " + msg));
        }
        if (rc == 0) break;  // the time is up
        uint8_t chunk[256];
        const ssize_t n = ::read(fd_, chunk, sizeof chunk);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            std::string msg = n == 0 ? "connection closed" : std::strerror(errno);
            disconnect();
            return finish(error(ErrorKind::link, msg));
        }
        if (n < 0) continue;
        any_byte = true;
        decoder.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
        while (auto frame = decoder.next()) {
            auto reply = check_reply(request, *frame);
            if (reply) return finish(std::move(*reply));
            rejected = std::string(to_string(reply.error()));
        }
        // A reply under way gets byte_timeout past its last byte, even beyond the first limit.
        deadline = std::max(deadline, Clock::now() + timing_.byte_timeout);
    }
    if (!rejected.empty() || any_byte) {
        if (is_tcp()) disconnect();  // a DTU may hold half a frame: start clean
        return finish(error(ErrorKind::bad_frame,
                            rejected.empty() ? "no valid frame in the reply" : rejected));
    }
    return finish(error(ErrorKind::timeout, "no reply"));
}

}  // namespace sealwatch::dlt645
