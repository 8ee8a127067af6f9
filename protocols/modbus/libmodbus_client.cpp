#include "modbus/libmodbus_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <thread>

#include <modbus/modbus.h>

#include "modbus/tcp_frame.hpp"

namespace sealwatch::modbus {

namespace {

ReadError error_from_errno(int err) {
    if (err >= EMBXILFUN && err <= EMBXGTAR) {
        return {ErrorKind::exception, err - MODBUS_ENOBASE, modbus_strerror(err)};
    }
    switch (err) {
        case ETIMEDOUT:
            return {ErrorKind::timeout, 0, "no answer in time"};
        case EMBBADCRC:
        case EMBBADDATA:
        case EMBBADEXC:
        case EMBUNKEXC:
        case EMBMDATA:
        case EMBBADSLAVE:
            return {ErrorKind::bad_frame, 0, modbus_strerror(err)};
        default:
            return {ErrorKind::link, 0, modbus_strerror(err)};
    }
}

void set_timeout(modbus_t* ctx, std::chrono::milliseconds t,
                 int (*setter)(modbus_t*, uint32_t, uint32_t)) {
    auto ms = t.count() < 0 ? 0 : t.count();
    setter(ctx, static_cast<uint32_t>(ms / 1000), static_cast<uint32_t>((ms % 1000) * 1000));
}

// The RTU spec's silent interval between frames: 3.5 character times (11 bits each), fixed at
// 1.75 ms above 19200 baud. libmodbus does not keep it between a reply and the next request.
std::chrono::microseconds t35(int baud) {
    if (baud <= 0 || baud > 19200) return std::chrono::microseconds(1750);
    return std::chrono::microseconds(35LL * 1000000LL * 11 / 10 / baud);
}

using Clock = std::chrono::steady_clock;

ReadError link_error(const char* what, int err) {
    return {ErrorKind::link, 0, std::string(what) + ": " + std::strerror(err)};
}

tl::expected<void, ReadError> send_all(int fd, std::span<const uint8_t> bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return tl::unexpected(link_error("send", errno));
        sent += static_cast<size_t>(n);
    }
    return {};
}

// Reads one answer (MBAP header and PDU) into `frame` and returns its length. The first byte
// must come before `first_byte_by`, each later piece within `byte_timeout` of the one before, and
// the whole answer before `answer_by`: a peer that drips bytes cannot hold the bus longer than
// that. Each recv asks for the rest of a normal answer to `request` (the longest a valid answer
// can be), so an answer that arrives in one piece, as it does on a LAN, costs one poll and one
// recv, not two of each. Once the header is in and checked, its MBAP length bounds the frame:
// bytes beyond it (an exception followed by more) mean the stream is out of step, a bad frame,
// as a wrong header is (either way the connection starts afresh).
tl::expected<size_t, ReadError> receive_answer(int fd, const tcp::ReadRequest& request,
                                               std::span<uint8_t> frame,
                                               Clock::time_point first_byte_by,
                                               Clock::time_point answer_by,
                                               std::chrono::milliseconds byte_timeout) {
    size_t want = frame.size();  // a normal answer's length until the header says otherwise
    size_t got = 0;
    bool header_checked = false;
    while (got < want) {
        auto deadline = got == 0 ? first_byte_by : answer_by;
        if (got > 0 && byte_timeout.count() > 0)
            deadline = std::min(deadline, Clock::now() + byte_timeout);
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{fd, POLLIN, 0};
        int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return tl::unexpected(link_error("poll", errno));
        if (ready == 0) {
            // Silence before the first byte is a plain timeout (the line is still in step);
            // silence in the middle of an answer leaves the stream out of step.
            if (got == 0)
                return tl::unexpected(ReadError{ErrorKind::timeout, 0, "no answer in time"});
            return tl::unexpected(
                ReadError{ErrorKind::bad_frame, 0,
                          "answer cut short after " + std::to_string(got) + " bytes"});
        }
        ssize_t n = ::recv(fd, frame.data() + got, want - got, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) return tl::unexpected(link_error("recv", errno));
        if (n == 0)
            return tl::unexpected(
                ReadError{ErrorKind::link, 0,
                          "connection closed by the peer after " + std::to_string(got) + " bytes"});
        got += static_cast<size_t>(n);
        if (!header_checked && got >= tcp::kMbapBytes) {
            auto pdu_bytes = tcp::check_header(request, frame.first<tcp::kMbapBytes>());
            if (!pdu_bytes) return tl::unexpected(pdu_bytes.error());
            header_checked = true;
            want = tcp::kMbapBytes + *pdu_bytes;
            // A shorter answer (an exception) followed by more bytes: not an answer to this
            // request, and the stream is out of step.
            if (got > want)
                return tl::unexpected(
                    ReadError{ErrorKind::bad_frame, 0,
                              std::to_string(got - want) + " bytes more than the answer"});
        }
    }
    return got;
}

// An RTU read through libmodbus, which checks the CRC, the slave address, the function and the
// byte count of an RTU answer itself.
tl::expected<std::vector<uint16_t>, ReadError> rtu_read(modbus_t* ctx, int unit, Table table,
                                                        uint16_t address, uint16_t count) {
    if (modbus_set_slave(ctx, unit) == -1)
        return tl::unexpected(ReadError{ErrorKind::link, 0, "invalid unit id"});
    std::vector<uint16_t> regs(count);
    int got = table == Table::holding
                  ? modbus_read_registers(ctx, address, count, regs.data())
                  : modbus_read_input_registers(ctx, address, count, regs.data());
    int err = errno;
    if (got == count) return regs;
    return tl::unexpected(got == -1 ? error_from_errno(err)
                                    : ReadError{ErrorKind::bad_frame, 0, "short answer"});
}

}  // namespace

struct LibmodbusClient::Impl {
    std::variant<TcpLink, RtuLink> link;
    LinkOptions options;
    modbus_t* ctx = nullptr;
    bool is_connected = false;

    ~Impl() { close(); }

    void close() {
        if (ctx) {
            modbus_close(ctx);
            modbus_free(ctx);
            ctx = nullptr;
        }
        is_connected = false;
    }

    tl::expected<void, ReadError> open() {
        if (is_connected) return {};
        close();
        if (auto* tcp = std::get_if<TcpLink>(&link)) {
            ctx = modbus_new_tcp_pi(tcp->host.c_str(), std::to_string(tcp->port).c_str());
        } else {
            const auto& rtu = std::get<RtuLink>(link);
            ctx = modbus_new_rtu(rtu.device.c_str(), rtu.baud, rtu.parity, rtu.data_bits,
                                 rtu.stop_bits);
        }
        if (!ctx) return tl::unexpected(ReadError{ErrorKind::link, 0, std::strerror(errno)});
        set_timeout(ctx, options.response_timeout, modbus_set_response_timeout);
        set_timeout(ctx, options.byte_timeout, modbus_set_byte_timeout);
        // Reconnects and backoff belong to the scheduler, which can see them; libmodbus' own
        // recovery sleeps inside the call and would block the bus thread.
        modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_NONE);
        if (modbus_connect(ctx) == -1) {
            ReadError e{ErrorKind::link, 0, std::string("connect: ") + modbus_strerror(errno)};
            close();
            return tl::unexpected(e);
        }
        if (auto* rtu = std::get_if<RtuLink>(&link); rtu && rtu->rs485_ioctl) {
            if (modbus_rtu_set_serial_mode(ctx, MODBUS_RTU_RS485) == -1) {
                ReadError e{ErrorKind::link, 0,
                            std::string("RS-485 mode: ") + modbus_strerror(errno)};
                close();
                return tl::unexpected(e);
            }
        }
        is_connected = true;
        return {};
    }

    bool is_rtu() const { return std::holds_alternative<RtuLink>(link); }

    // One Modbus TCP read on libmodbus' socket, framed and checked by modbus/tcp_frame (which
    // says what libmodbus would not check). Each request gets the next transaction id.
    tl::expected<std::vector<uint16_t>, ReadError> tcp_read(int unit, Table table, uint16_t address,
                                                            uint16_t count) {
        if (unit < 0 || unit > 255)
            return tl::unexpected(ReadError{ErrorKind::link, 0, "invalid unit id"});
        tcp::ReadRequest request{++transaction, static_cast<uint8_t>(unit), table, address, count};
        const int fd = modbus_get_socket(ctx);
        auto bytes = tcp::encode(request);
        if (auto sent = send_all(fd, bytes); !sent) return tl::unexpected(sent.error());
        const auto first_byte_by = Clock::now() + options.response_timeout;
        const auto answer_by = first_byte_by + options.byte_timeout;
        // Room for a normal answer to this request, the longest it can have.
        std::array<uint8_t, tcp::kMbapBytes + tcp::data_pdu_bytes(kMaxReadRegisters)> buffer{};
        const std::span<uint8_t> frame(buffer.data(), tcp::kMbapBytes + tcp::data_pdu_bytes(count));
        auto length =
            receive_answer(fd, request, frame, first_byte_by, answer_by, options.byte_timeout);
        if (!length) return tl::unexpected(length.error());
        return tcp::decode_pdu(request, frame.subspan(tcp::kMbapBytes, *length - tcp::kMbapBytes));
    }

    uint16_t transaction = 0;

    void quiet_line() {
        auto gap = options.inter_frame_delay;
        if (const auto* rtu = std::get_if<RtuLink>(&link))
            gap += std::chrono::duration_cast<std::chrono::milliseconds>(t35(rtu->baud));
        if (gap.count() > 0) std::this_thread::sleep_for(gap);
    }
};

LibmodbusClient::LibmodbusClient(std::variant<TcpLink, RtuLink> link, LinkOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->link = std::move(link);
    impl_->options = options;
}

LibmodbusClient::~LibmodbusClient() = default;

tl::expected<void, ReadError> LibmodbusClient::connect() {
    return impl_->open();
}

void LibmodbusClient::disconnect() {
    impl_->close();
}

bool LibmodbusClient::connected() const {
    return impl_->is_connected;
}

tl::expected<std::vector<uint16_t>, ReadError> LibmodbusClient::read(int unit, Table table,
                                                                     uint16_t address,
                                                                     uint16_t count) {
    if (count == 0 || count > kMaxReadRegisters)
        return tl::unexpected(ReadError{ErrorKind::link, 0, "register count out of range"});
    if (auto ok = impl_->open(); !ok) return tl::unexpected(ok.error());
    modbus_t* ctx = impl_->ctx;
    auto answer = impl_->is_rtu() ? rtu_read(ctx, unit, table, address, count)
                                  : impl_->tcp_read(unit, table, address, count);
    if (answer) {
        impl_->quiet_line();
        return answer;
    }
    const ReadError& e = answer.error();
    switch (e.kind) {
        case ErrorKind::exception:
            break;  // a clean frame: the line is in step
        case ErrorKind::timeout:
            // A late answer still on its way would be taken as the answer to the next request
            // (possibly another meter's): drop whatever has arrived. On TCP a later straggler
            // is also caught by its transaction id.
            modbus_flush(ctx);
            break;
        case ErrorKind::bad_frame:
            // On RTU drop the rest of the garbage; on TCP the stream itself may be out of step,
            // so start a fresh connection.
            if (impl_->is_rtu()) {
                modbus_flush(ctx);
            } else {
                impl_->close();
            }
            break;
        case ErrorKind::link:
            impl_->close();
            break;
    }
    impl_->quiet_line();
    return answer;
}

std::string LibmodbusClient::describe() const {
    if (const auto* tcp = std::get_if<TcpLink>(&impl_->link))
        return "tcp " + tcp->host + ":" + std::to_string(tcp->port);
    const auto& rtu = std::get<RtuLink>(impl_->link);
    return "rtu " + rtu.device + " " + std::to_string(rtu.baud) + " " +
           std::to_string(rtu.data_bits) + rtu.parity + std::to_string(rtu.stop_bits);
}

}  // namespace sealwatch::modbus
