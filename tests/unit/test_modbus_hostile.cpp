// The libmodbus client against a hostile Modbus TCP peer: a socket server in this test that
// answers each request the way the test scripts it (another unit's answer, another transaction,
// an MBAP length of 0xFFFF, a byte count that lies, a frame cut short...). Every wrong answer
// must be refused as a bad frame (never turned into registers), and the next honest answer
// must be read again.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "modbus/libmodbus_client.hpp"
#include "modbus/tcp_frame.hpp"

using namespace sealwatch;
using namespace std::chrono_literals;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kUnit = 7;
constexpr uint16_t kAddress = 0x0100;
constexpr uint16_t kCount = 2;
constexpr auto kTimeout = 300ms;
constexpr auto kByteTimeout = 100ms;

// The honest answer to a read request (12 bytes): registers 0x1234, 0x5678, ...
Bytes honest_answer(const Bytes& request) {
    auto count = static_cast<uint16_t>((request[10] << 8) | request[11]);
    Bytes out(request.begin(), request.begin() + 8);  // MBAP + function, as asked
    const size_t pdu = 2 + 2u * count;
    out[4] = static_cast<uint8_t>((pdu + 1) >> 8);
    out[5] = static_cast<uint8_t>((pdu + 1) & 0xFF);
    out.push_back(static_cast<uint8_t>(2 * count));
    for (uint16_t i = 0; i < count; ++i) {
        auto v = static_cast<uint16_t>(0x1234 + 0x4444 * i);
        out.push_back(static_cast<uint8_t>(v >> 8));
        out.push_back(static_cast<uint8_t>(v & 0xFF));
    }
    return out;
}

// What the peer does with one request: the pieces it writes, each after its delay, then
// whether it closes the connection.
struct Piece {
    Bytes bytes;
    std::chrono::milliseconds delay{0};
};
struct Reply {
    std::vector<Piece> pieces;
    bool close_after = false;
};
using Script = std::function<Reply(const Bytes& request)>;

Reply whole(Bytes b) {
    return {{{std::move(b), 0ms}}, false};
}

// A Modbus TCP "server" on a loopback port, one connection at a time, answering per script.
class HostilePeer {
  public:
    explicit HostilePeer(Script script) : script_(std::move(script)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listen_fd_, 4) != 0)
            throw std::runtime_error("hostile peer: cannot listen");
        socklen_t len = sizeof addr;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~HostilePeer() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    int port() const { return port_; }
    int connections() const { return connections_; }

  private:
    bool wait_readable(int fd) {
        while (!stop_) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) return true;
        }
        return false;
    }
    void run() {
        while (wait_readable(listen_fd_)) {
            int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0) continue;
            ++connections_;
            serve(fd);
            ::close(fd);
        }
    }
    void serve(int fd) {
        for (;;) {
            Bytes request(modbus::tcp::kRequestBytes);
            size_t got = 0;
            while (got < request.size()) {
                if (!wait_readable(fd)) return;
                ssize_t n = ::recv(fd, request.data() + got, request.size() - got, 0);
                if (n <= 0) return;
                got += static_cast<size_t>(n);
            }
            Reply reply = script_(request);
            for (const auto& piece : reply.pieces) {
                std::this_thread::sleep_for(piece.delay);
                if (::send(fd, piece.bytes.data(), piece.bytes.size(), MSG_NOSIGNAL) < 0) return;
            }
            if (reply.close_after) return;
        }
    }

    Script script_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

// The client under test, the peer's first answer spoiled by `spoil`, every later one honest.
struct Case {
    HostilePeer peer;
    modbus::LibmodbusClient client;
    explicit Case(const std::function<Reply(Bytes honest)>& spoil,
                  std::atomic<int>* requests = nullptr)
        : peer([spoil, requests, n = std::make_shared<int>(0)](const Bytes& req) {
              if (requests) ++*requests;
              return (*n)++ == 0 ? spoil(honest_answer(req)) : whole(honest_answer(req));
          }),
          client(modbus::TcpLink{"127.0.0.1", peer.port()},
                 modbus::LinkOptions{kTimeout, kByteTimeout, 0ms}) {}

    tl::expected<std::vector<uint16_t>, modbus::ReadError> read() {
        return client.read(kUnit, modbus::Table::holding, kAddress, kCount);
    }
};

void expect_refused_then_read(Case& c, modbus::ErrorKind kind, const std::string& wording) {
    auto first = c.read();
    ASSERT_FALSE(first) << "a spoiled answer was taken as registers";
    EXPECT_EQ(first.error().kind, kind) << first.error().message;
    EXPECT_NE(first.error().message.find(wording), std::string::npos) << first.error().message;
    auto second = c.read();
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(*second, (std::vector<uint16_t>{0x1234, 0x5678}));
}

}  // namespace

TEST(ModbusHostilePeer, HonestAnswerIsRead) {
    Case c([](Bytes honest) { return whole(std::move(honest)); });
    auto regs = c.read();
    ASSERT_TRUE(regs) << regs.error().message;
    EXPECT_EQ(*regs, (std::vector<uint16_t>{0x1234, 0x5678}));
}

TEST(ModbusHostilePeer, AnotherUnitsAnswerIsABadFrame) {
    Case c([](Bytes b) {
        b[6] = kUnit + 1;
        return whole(b);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "unit id 8, expected 7");
    EXPECT_EQ(c.peer.connections(), 2) << "a TCP client starts afresh after a bad frame";
}

TEST(ModbusHostilePeer, AnotherTransactionsAnswerIsABadFrame) {
    Case c([](Bytes b) {
        b[1] ^= 0x55;
        return whole(b);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "transaction id");
}

TEST(ModbusHostilePeer, AnotherProtocolIsABadFrame) {
    Case c([](Bytes b) {
        b[3] = 1;
        return whole(b);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "protocol id 1");
}

TEST(ModbusHostilePeer, MbapLengthThatLiesIsABadFrame) {
    for (uint16_t length : {uint16_t{0xFFFF}, uint16_t{0}, uint16_t{6}, uint16_t{8}}) {
        Case c([length](Bytes b) {
            b[4] = static_cast<uint8_t>(length >> 8);
            b[5] = static_cast<uint8_t>(length & 0xFF);
            return whole(b);
        });
        expect_refused_then_read(c, modbus::ErrorKind::bad_frame,
                                 "MBAP length " + std::to_string(length));
    }
}

TEST(ModbusHostilePeer, WrongFunctionIsABadFrame) {
    Case c([](Bytes b) {
        b[7] = 4;  // input registers, though holding were asked
        return whole(b);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "function 4, expected 3");
}

TEST(ModbusHostilePeer, ByteCountThatLiesIsABadFrame) {
    Case c([](Bytes b) {
        b[8] = 2;  // one register's worth in a frame that carries two
        return whole(b);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "byte count 2, expected 4");
}

TEST(ModbusHostilePeer, ExceptionIsReadWithItsCodeAndAnUnknownCodeIsABadFrame) {
    auto exception = [](uint8_t code) {
        return [code](Bytes b) {
            Bytes e(b.begin(), b.begin() + 7);
            e[5] = 3;
            e.push_back(0x83);
            e.push_back(code);
            return whole(e);
        };
    };
    {
        Case c(exception(2));
        auto first = c.read();
        ASSERT_FALSE(first);
        EXPECT_EQ(first.error().kind, modbus::ErrorKind::exception);
        EXPECT_EQ(first.error().exception_code, 2);
        EXPECT_TRUE(c.client.connected()) << "an exception is a clean frame";
    }
    {
        Case c(exception(0x99));
        expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "exception code 153");
    }
}

TEST(ModbusHostilePeer, ExceptionFollowedByMoreBytesIsABadFrame) {
    // The client asks the socket for a whole normal answer at once (one recv on a LAN): when the
    // header announces a shorter frame, bytes beyond it are no part of this answer.
    Case c([](Bytes b) {
        Bytes e(b.begin(), b.begin() + 7);
        e[5] = 3;
        e.push_back(0x83);
        e.push_back(2);
        e.insert(e.end(), {0xEE, 0xEE});
        return whole(e);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "2 bytes more than the answer");
    EXPECT_EQ(c.peer.connections(), 2) << "the stream is out of step: a fresh connection";
}

TEST(ModbusHostilePeer, FrameSplitOverManyWritesIsRead) {
    Case c([](const Bytes& b) {
        Reply r;
        for (uint8_t byte : b) r.pieces.push_back({{byte}, 10ms});
        return r;
    });
    auto regs = c.read();
    ASSERT_TRUE(regs) << regs.error().message;
    EXPECT_EQ(*regs, (std::vector<uint16_t>{0x1234, 0x5678}));
}

TEST(ModbusHostilePeer, DrippedBytesCannotHoldTheBusPastItsDeadline) {
    // Each byte within the byte timeout, but the whole answer far beyond the response timeout.
    Case c([](const Bytes& b) {
        Reply r;
        for (uint8_t byte : b) r.pieces.push_back({{byte}, 80ms});
        return r;
    });
    auto start = std::chrono::steady_clock::now();
    auto first = c.read();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().kind, modbus::ErrorKind::bad_frame) << first.error().message;
    EXPECT_LT(took, kTimeout + kByteTimeout + 100ms);
}

TEST(ModbusHostilePeer, TruncatedFrameThenSilenceIsABadFrame) {
    Case c([](Bytes b) {
        b.resize(9);
        return whole(b);
    });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "cut short after 9 bytes");
}

TEST(ModbusHostilePeer, ConnectionClosedMidFrameIsALinkError) {
    Case c([](Bytes b) {
        b.resize(5);
        return Reply{{{b, 0ms}}, true};
    });
    expect_refused_then_read(c, modbus::ErrorKind::link, "closed by the peer after 5 bytes");
}

TEST(ModbusHostilePeer, JunkIsABadFrameReadNoFurther) {
    Case c([](const Bytes&) { return whole(Bytes(size_t{64} * 1024, 0xA5)); });
    expect_refused_then_read(c, modbus::ErrorKind::bad_frame, "transaction id");
}

TEST(ModbusHostilePeer, SilenceIsATimeoutAndTheClientStaysConnected) {
    Case c([](const Bytes&) { return Reply{}; });
    auto first = c.read();
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().kind, modbus::ErrorKind::timeout);
    EXPECT_TRUE(c.client.connected());
    auto second = c.read();
    ASSERT_TRUE(second) << second.error().message;
}

TEST(ModbusHostilePeer, LateAnswerToATimedOutRequestIsNotTakenForTheNext) {
    // The first answer comes after the timeout, just before the second request's answer:
    // whatever the peer interleaves, the second read must not return the first's registers.
    Case c([](Bytes b) {
        for (size_t i = 9; i < b.size(); ++i) b[i] = 0xEE;  // marked as the stale answer
        return Reply{{{b, kTimeout + 50ms}}, false};
    });
    auto first = c.read();
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().kind, modbus::ErrorKind::timeout);
    std::this_thread::sleep_for(100ms);  // the late answer arrives now
    auto second = c.read();
    if (second)
        EXPECT_EQ(*second, (std::vector<uint16_t>{0x1234, 0x5678}));
    else
        EXPECT_EQ(second.error().kind, modbus::ErrorKind::bad_frame);
}

TEST(ModbusTcpFrame, RequestIsEncodedAsTheSpecSays) {
    auto bytes = modbus::tcp::encode({0x0102, 7, modbus::Table::input, 0x0304, 0x0005});
    EXPECT_EQ(Bytes(bytes.begin(), bytes.end()),
              (Bytes{0x01, 0x02, 0, 0, 0, 6, 7, 4, 0x03, 0x04, 0x00, 0x05}));
}
