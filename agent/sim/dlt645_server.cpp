#include "sim/dlt645_server.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "dlt645/line.hpp"
#include "sim/fd_io.hpp"
#include "sim/log.hpp"

namespace sealwatch::sim {

namespace {
constexpr size_t kMaxClients = 64;
using Clock = std::chrono::steady_clock;
}  // namespace

Dlt645Server::Dlt645Server(ListenerSpec spec, Simulation& sim, const SimClock& clock,
                           const StopSignal& stop, bool verbose)
    : spec_(std::move(spec)), sim_(sim), clock_(clock), stop_(stop), verbose_(verbose) {}

Dlt645Server::~Dlt645Server() {
    for (auto& p : peers_) ::close(p->fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string Dlt645Server::where() const {
    if (spec_.kind == ListenerSpec::Kind::rtu) return "dlt645 " + spec_.device;
    return "dlt645 tcp " + spec_.host + ":" + std::to_string(port_);
}

Result<void> Dlt645Server::open() {
    return spec_.kind == ListenerSpec::Kind::rtu ? open_serial_line() : listen_tcp();
}

Result<void> Dlt645Server::open_serial_line() {
    auto fd = dlt645::open_serial(
        {spec_.device, spec_.baud, spec_.parity, spec_.data_bits, spec_.stop_bits});
    if (!fd) return fail("dlt645 " + fd.error().message);
    peers_.clear();
    peers_.push_back(std::make_unique<Peer>());
    peers_.back()->fd = *fd;
    return {};
}

Result<void> Dlt645Server::listen_tcp() {
    const std::string where = spec_.host + ":" + std::to_string(spec_.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    if (int rc =
            ::getaddrinfo(spec_.host.c_str(), std::to_string(spec_.port).c_str(), &hints, &found);
        rc != 0)
        return fail("dlt645 tcp " + where + ": " + ::gai_strerror(rc));
    std::string last = "no address";
    for (addrinfo* a = found; a && listen_fd_ < 0; a = a->ai_next) {
        int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
            listen_fd_ = fd;
        } else {
            last = std::strerror(errno);
            ::close(fd);
        }
    }
    ::freeaddrinfo(found);
    if (listen_fd_ < 0) return fail("dlt645 tcp " + where + ": cannot listen: " + last);
    port_ = bound_port(listen_fd_);
    if (port_ == 0) return fail(std::string("getsockname: ") + std::strerror(errno));
    return {};
}

void Dlt645Server::close_peer(size_t index) {
    // Held-back answers must not reach a later client that gets the same fd number.
    pending_.drop_fd(peers_[index]->fd);
    ::close(peers_[index]->fd);
    peers_.erase(peers_.begin() + static_cast<std::ptrdiff_t>(index));
}

void Dlt645Server::on_bytes(Peer& peer) {
    while (auto frame = peer.decoder.next()) {
        // A reply heard on the line (another master's meter) is no request.
        if (frame->control & dlt645::control::kReplyBit) continue;
        Dlt645Decision d = sim_.answer_dlt645(spec_.id, *frame, clock_.now());
        if (verbose_)
            log_line(where() + ": " + dlt645::to_string(frame->address) + " control " +
                     std::to_string(frame->control) + " -> " +
                     (d.meter.empty() ? "no meter" : d.meter) + at_wall_ms());
        if (d.kind == Dlt645Decision::Kind::nobody || d.kind == Dlt645Decision::Kind::silent)
            continue;
        if (d.delay_ms > 0)
            pending_.add({Clock::now() + std::chrono::milliseconds(d.delay_ms), peer.fd,
                          std::move(d.bytes)});
        else
            write_all(peer.fd, d.bytes);
    }
}

void Dlt645Server::run() {
    const bool serial = spec_.kind == ListenerSpec::Kind::rtu;
    std::vector<pollfd> fds;
    while (!stop_.stopped()) {
        if (serial && peers_.empty()) {
            // The line went away (socat stopped): try again every second, quietly.
            pollfd p{stop_.fd(), POLLIN, 0};
            if (::poll(&p, 1, 1000) > 0) break;
            if (open_serial_line()) log_line(where() + ": reopened");
            continue;
        }
        fds.clear();
        fds.push_back({stop_.fd(), POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});  // -1 on a serial line: poll skips it
        for (auto& p : peers_) fds.push_back({p->fd, POLLIN, 0});
        const int rc = ::poll(fds.data(), fds.size(), pending_.wait_ms(Clock::now(), 1000));
        if (rc < 0 && errno != EINTR) {
            log_line(where() + ": poll: " + std::strerror(errno));
            return;
        }
        for (auto& reply : pending_.take_due(Clock::now())) write_all(reply.fd, reply.bytes);
        if (rc <= 0) continue;
        if (fds[0].revents) break;
        // Only the peers this poll watched have an entry in fds; one accepted below has none
        // (reading fds for it ran past the end: found under ASan).
        const size_t polled = fds.size() - 2;
        if (fds[1].revents & POLLIN) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0 && peers_.size() < kMaxClients) {
                peers_.push_back(std::make_unique<Peer>());
                peers_.back()->fd = fd;
            } else if (fd >= 0) {
                ::close(fd);
            }
        }
        for (size_t i = polled; i-- > 0;) {  // from the back: close_peer(i) moves only later ones
            if (!fds[i + 2].revents) continue;
            Peer& peer = *peers_[i];
            uint8_t chunk[512];
            const ssize_t n = ::read(peer.fd, chunk, sizeof chunk);
            if (n > 0) {
                peer.decoder.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
                on_bytes(peer);
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (serial) log_line(where() + ": the line went away; retrying every second");
                close_peer(i);
            }
        }
    }
}

}  // namespace sealwatch::sim
