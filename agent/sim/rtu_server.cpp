#include "sim/rtu_server.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <modbus/modbus.h>

#include "sim/fd_io.hpp"
#include "sim/log.hpp"
#include "sim/pending.hpp"
#include "sim/reply_encoder.hpp"
#include "sim/rtu_answer.hpp"
#include "sim/rtu_frame.hpp"

namespace sealwatch::sim {

RtuServer::RtuServer(ListenerSpec spec, Simulation& sim, const SimClock& clock,
                     const StopSignal& stop, bool verbose)
    : spec_(std::move(spec)), sim_(sim), clock_(clock), stop_(stop), verbose_(verbose) {}

RtuServer::~RtuServer() {
    close_port();
}

void RtuServer::close_port() {
    if (ctx_) {
        modbus_close(ctx_);
        modbus_free(ctx_);
    }
    ctx_ = nullptr;
    fd_ = -1;
}

Result<void> RtuServer::open() {
    close_port();
    ctx_ = modbus_new_rtu(spec_.device.c_str(), spec_.baud, spec_.parity, spec_.data_bits,
                          spec_.stop_bits);
    if (!ctx_) return fail("rtu " + spec_.device + ": " + modbus_strerror(errno));
    if (modbus_connect(ctx_) != 0) {
        std::string msg = "rtu " + spec_.device + ": cannot open: " + modbus_strerror(errno);
        close_port();
        return fail(msg);
    }
    fd_ = modbus_get_socket(ctx_);
    return {};
}

int RtuServer::silence_ms() const {
    // 3.5 characters (start + data + parity + stop bits each), but at least 20 ms: a pty and
    // socat deliver bytes in bursts with gaps of their own.
    int bits = 1 + spec_.data_bits + (spec_.parity == 'N' ? 0 : 1) + spec_.stop_bits;
    double t35 = 3.5 * bits * 1000.0 / spec_.baud;
    return std::max(20, static_cast<int>(t35 + 1));
}

void RtuServer::run() {
    auto encoder = ReplyEncoder::create(ReplyEncoder::Framing::rtu);
    if (!encoder) {
        log_line("rtu " + spec_.device + ": " + encoder.error().message);
        return;
    }
    using Clock = std::chrono::steady_clock;
    RtuFramer framer;
    PendingReplies pending;
    Clock::time_point last_rx = Clock::now();
    uint64_t reported_noise = 0;

    while (!stop_.stopped()) {
        if (fd_ < 0) {
            // The line went away: try again every second, quietly.
            pollfd p{stop_.fd(), POLLIN, 0};
            if (::poll(&p, 1, 1000) > 0) break;
            if (open()) {
                log_line("rtu " + spec_.device + ": reopened");
                framer = RtuFramer();
            }
            continue;
        }
        auto now = Clock::now();
        int timeout = pending.wait_ms(now, 1000);
        if (!framer.empty()) {
            auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_rx);
            timeout =
                std::min(timeout, std::max(0, silence_ms() - static_cast<int>(quiet.count())));
        }
        pollfd fds[2] = {{stop_.fd(), POLLIN, 0}, {fd_, POLLIN, 0}};
        int rc = ::poll(fds, 2, timeout);
        if (rc < 0 && errno != EINTR) {
            log_line("rtu " + spec_.device + ": poll: " + std::strerror(errno));
            return;
        }
        if (rc > 0 && fds[0].revents) break;
        for (auto& reply : pending.take_due(Clock::now())) write_all(fd_, reply.bytes);

        if (rc > 0 && fds[1].revents) {
            uint8_t chunk[512];
            ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n > 0) {
                framer.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
                last_rx = Clock::now();
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                log_line("rtu " + spec_.device + ": the line went away (" +
                         (n == 0 ? std::string("hang-up") : std::string(std::strerror(errno))) +
                         "); retrying every second");
                close_port();
                pending = PendingReplies();
                continue;
            }
        }
        auto quiet = Clock::now() - last_rx;
        bool silence = quiet >= std::chrono::milliseconds(silence_ms());
        while (auto frame = framer.next(silence)) {
            RtuAnswer a = answer_rtu(sim_, **encoder, spec_.id, "rtu " + spec_.device, *frame,
                                     clock_.now(), verbose_);
            // A serial line cannot be dropped like a DTU's link: a drop_link meter is silent.
            if (!a.bytes || a.drop_link) continue;
            if (a.delay_ms > 0)
                pending.add({Clock::now() + std::chrono::milliseconds(a.delay_ms), fd_,
                             std::move(*a.bytes)});
            else
                write_all(fd_, *a.bytes);
        }
        if (framer.discarded() != reported_noise) {
            if (verbose_)
                log_line("rtu " + spec_.device + ": skipped " +
                         std::to_string(framer.discarded() - reported_noise) +
                         " byte(s) of noise or bad CRC");
            reported_noise = framer.discarded();
        }
    }
}

}  // namespace sealwatch::sim
