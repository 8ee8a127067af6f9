#include "modbus/libmodbus_client.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <modbus/modbus.h>

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
    if (modbus_set_slave(ctx, unit) == -1)
        return tl::unexpected(ReadError{ErrorKind::link, 0, "invalid unit id"});

    std::vector<uint16_t> regs(count);
    int got = table == Table::holding
                  ? modbus_read_registers(ctx, address, count, regs.data())
                  : modbus_read_input_registers(ctx, address, count, regs.data());
    int err = errno;
    if (got == count) {
        impl_->quiet_line();
        return regs;
    }
    ReadError e =
        got == -1 ? error_from_errno(err) : ReadError{ErrorKind::bad_frame, 0, "short answer"};
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
    return tl::unexpected(e);
}

std::string LibmodbusClient::describe() const {
    if (const auto* tcp = std::get_if<TcpLink>(&impl_->link))
        return "tcp " + tcp->host + ":" + std::to_string(tcp->port);
    const auto& rtu = std::get<RtuLink>(impl_->link);
    return "rtu " + rtu.device + " " + std::to_string(rtu.baud) + " " +
           std::to_string(rtu.data_bits) + rtu.parity + std::to_string(rtu.stop_bits);
}

}  // namespace sealwatch::modbus
