#include "sim/tcp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <modbus/modbus.h>

#include "sim/fd_io.hpp"
#include "sim/log.hpp"
#include "sim/pending.hpp"
#include "sim/reply_encoder.hpp"
#include "sim/rtu_answer.hpp"
#include "sim/rtu_frame.hpp"

namespace sealwatch::sim {

namespace {
constexpr size_t kMaxClients = 64;
constexpr size_t kMbapLength = 7;
}  // namespace

struct TcpServer::Client {
    int fd = -1;
    std::string peer;
    std::vector<uint8_t> buf;  // Modbus TCP: bytes of an ADU under way
    RtuFramer rtu;             // RTU framing
};

TcpServer::TcpServer(ListenerSpec spec, Simulation& sim, const SimClock& clock,
                     const StopSignal& stop, bool verbose)
    : spec_(std::move(spec)), sim_(sim), clock_(clock), stop_(stop), verbose_(verbose) {}

TcpServer::~TcpServer() {
    for (auto& c : clients_) ::close(c->fd);
    if (ctx_) modbus_free(ctx_);  // the listen socket is ours, closed below
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

Result<void> TcpServer::open() {
    std::string service = std::to_string(spec_.port);
    ctx_ = modbus_new_tcp_pi(spec_.host.c_str(), service.c_str());
    if (!ctx_) return fail("tcp " + spec_.host + ":" + service + ": " + modbus_strerror(errno));
    listen_fd_ = modbus_tcp_pi_listen(ctx_, 16);
    if (listen_fd_ < 0)
        return fail("tcp " + spec_.host + ":" + service +
                    ": cannot listen: " + modbus_strerror(errno));
    port_ = bound_port(listen_fd_);
    if (port_ == 0) return fail(std::string("getsockname: ") + std::strerror(errno));
    return {};
}

std::string TcpServer::where() const {
    return (spec_.rtu_over_tcp ? "rtu tcp " : "tcp ") + spec_.host + ":" + std::to_string(port_);
}

void TcpServer::drop_link(size_t index) {
    log_line(where() + ": dropping the link to " + clients_[index]->peer + " (drop_link fault)");
    close_client(index);
}

// RTU frames over the connection. TCP keeps no silences between frames, so a frame ends where
// its function code says; one of unknown length waits for more bytes and, never completed,
// is dropped as noise once the framer's bound is reached.
void TcpServer::serve_rtu(size_t index, ReplyEncoder& encoder) {
    Client& c = *clients_[index];
    while (auto frame = c.rtu.next(false)) {
        RtuAnswer a = answer_rtu(sim_, encoder, spec_.id, where(), *frame, clock_.now(), verbose_);
        if (a.drop_link) {
            drop_link(index);
            return;
        }
        if (!a.bytes) continue;
        if (a.delay_ms > 0) {
            pending_.add({std::chrono::steady_clock::now() + std::chrono::milliseconds(a.delay_ms),
                          c.fd, std::move(*a.bytes)});
            continue;
        }
        send_now(c.fd, *a.bytes);
        if (index >= clients_.size() || clients_[index].get() != &c) return;  // dropped
    }
}

void TcpServer::send_now(int fd, const std::vector<uint8_t>& bytes) {
    // A client that does not read its answers is dropped, never waited for.
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != static_cast<ssize_t>(bytes.size())) {
        for (size_t i = 0; i < clients_.size(); ++i)
            if (clients_[i]->fd == fd) {
                log_line("tcp " + spec_.id + ": client " + clients_[i]->peer +
                         " does not read its answers; closing");
                close_client(i);
                break;
            }
    }
}

void TcpServer::close_client(size_t index) {
    // Held-back answers must not reach a later client that gets the same fd number.
    pending_.drop_fd(clients_[index]->fd);
    ::close(clients_[index]->fd);
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
}

namespace {

Request parse_tcp_request(const std::vector<uint8_t>& adu) {
    Request r;
    r.unit = adu[6];
    r.function = adu[7];
    if (adu.size() == kMbapLength + 5) {
        r.address = static_cast<uint16_t>(adu[8] << 8 | adu[9]);
        r.count = static_cast<uint16_t>(adu[10] << 8 | adu[11]);
    } else {
        r.well_formed = false;
    }
    return r;
}

}  // namespace

void TcpServer::run() {
    auto encoder = ReplyEncoder::create(spec_.rtu_over_tcp ? ReplyEncoder::Framing::rtu
                                                           : ReplyEncoder::Framing::tcp);
    if (!encoder) {
        log_line("tcp " + spec_.id + ": " + encoder.error().message);
        return;
    }
    std::vector<pollfd> fds;
    while (!stop_.stopped()) {
        fds.clear();
        fds.push_back({stop_.fd(), POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        for (auto& c : clients_) fds.push_back({c->fd, POLLIN, 0});
        int timeout = pending_.wait_ms(std::chrono::steady_clock::now(), 1000);
        int rc = ::poll(fds.data(), fds.size(), timeout);
        if (rc < 0 && errno != EINTR) {
            log_line("tcp " + spec_.id + ": poll: " + std::strerror(errno));
            return;
        }
        for (auto& reply : pending_.take_due(std::chrono::steady_clock::now()))
            send_now(reply.fd, reply.bytes);
        if (rc <= 0) continue;
        if (fds[0].revents) break;

        // Clients first (indexes match fds from 2 on); closing shifts the list, so walk back.
        for (size_t i = fds.size(); i-- > 2;) {
            if (!fds[i].revents) continue;
            size_t ci = i - 2;
            if (ci >= clients_.size() || clients_[ci]->fd != fds[i].fd) continue;
            Client& c = *clients_[ci];
            uint8_t chunk[1024];
            ssize_t n = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (n <= 0) {
                if (verbose_) log_line("tcp " + spec_.id + ": client " + c.peer + " left");
                close_client(ci);
                continue;
            }
            if (spec_.rtu_over_tcp) {
                c.rtu.feed(std::span<const uint8_t>(chunk, static_cast<size_t>(n)));
                serve_rtu(ci, **encoder);
                continue;
            }
            c.buf.insert(c.buf.end(), chunk, chunk + n);
            bool garbage = false;
            while (c.buf.size() >= kMbapLength) {
                auto protocol = static_cast<unsigned>(c.buf[2] << 8 | c.buf[3]);
                auto length = static_cast<unsigned>(c.buf[4] << 8 | c.buf[5]);
                // A stream cannot be resynchronised after a bad header: drop the connection,
                // as Modbus TCP servers do.
                if (protocol != 0 || length < 2 || length > 254) {
                    garbage = true;
                    break;
                }
                size_t total = 6 + length;
                if (c.buf.size() < total) break;
                std::vector<uint8_t> adu(c.buf.begin(),
                                         c.buf.begin() + static_cast<std::ptrdiff_t>(total));
                c.buf.erase(c.buf.begin(), c.buf.begin() + static_cast<std::ptrdiff_t>(total));
                Request req = parse_tcp_request(adu);
                Decision d = sim_.answer(spec_.id, req, clock_.now());
                if (verbose_)
                    log_line("tcp " + spec_.id + ": unit " + std::to_string(req.unit) + " fc " +
                             std::to_string(req.function) + " addr " + std::to_string(req.address) +
                             " count " + std::to_string(req.count) + " -> " +
                             (d.meter.empty() ? "no meter" : d.meter) + at_wall_ms());
                if (d.drop_link) {
                    drop_link(ci);
                    break;
                }
                Result<std::vector<uint8_t>> bytes = fail("silent");
                switch (d.kind) {
                    case Decision::Kind::unknown_unit:
                        bytes = (*encoder)->exception(adu, 0x0B);
                        break;
                    case Decision::Kind::silent:
                        continue;
                    case Decision::Kind::exception:
                        bytes = (*encoder)->exception(adu, d.exception);
                        break;
                    case Decision::Kind::registers:
                        bytes = (*encoder)->registers(adu, req.address, d.words);
                        break;
                }
                if (!bytes) {
                    log_line("tcp " + spec_.id + ": " + bytes.error().message);
                    continue;
                }
                if (d.corrupt) {
                    // Wrong transaction id: the client must discard the answer.
                    (*bytes)[0] ^= 0xA5;
                    (*bytes)[1] ^= 0x5A;
                }
                if (d.delay_ms > 0)
                    pending_.add(
                        {std::chrono::steady_clock::now() + std::chrono::milliseconds(d.delay_ms),
                         c.fd, std::move(*bytes)});
                else
                    send_now(c.fd, *bytes);
                // send_now may have dropped this client.
                if (ci >= clients_.size() || clients_[ci].get() != &c) break;
            }
            if (garbage && ci < clients_.size() && clients_[ci].get() == &c) {
                log_line("tcp " + spec_.id + ": client " + c.peer +
                         " sent a malformed MBAP header; closing the connection");
                close_client(ci);
            }
        }

        if (fds[1].revents & POLLIN) {
            sockaddr_storage addr{};
            socklen_t len = sizeof addr;
            int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
            if (fd >= 0) {
                char host[INET6_ADDRSTRLEN] = "?";
                uint16_t port = 0;
                if (addr.ss_family == AF_INET) {
                    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
                    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
                    port = ntohs(a->sin_port);
                } else if (addr.ss_family == AF_INET6) {
                    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
                    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
                    port = ntohs(a->sin6_port);
                }
                std::string peer = std::string(host) + ":" + std::to_string(port);
                if (clients_.size() >= kMaxClients) {
                    log_line("tcp " + spec_.id + ": too many clients, refusing " + peer);
                    ::close(fd);
                } else {
                    if (verbose_) log_line("tcp " + spec_.id + ": client " + peer + " connected");
                    auto c = std::make_unique<Client>();
                    c->fd = fd;
                    c->peer = peer;
                    clients_.push_back(std::move(c));
                }
            }
        }
    }
}

}  // namespace sealwatch::sim
