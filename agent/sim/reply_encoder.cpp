#include "sim/reply_encoder.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <modbus/modbus.h>

namespace sealwatch::sim {

namespace {
constexpr int kMaxRegisters = MODBUS_MAX_READ_REGISTERS;
}

Result<std::unique_ptr<ReplyEncoder>> ReplyEncoder::create(Framing framing) {
    std::unique_ptr<ReplyEncoder> enc(new ReplyEncoder());
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return fail(std::string("socketpair: ") + std::strerror(errno));
    enc->write_fd_ = fds[0];
    enc->read_fd_ = fds[1];
    // Never connected: only its framing (CRC or MBAP) and its socket are used.
    enc->ctx_ = framing == Framing::rtu ? modbus_new_rtu("/dev/null", 9600, 'N', 8, 1)
                                        : modbus_new_tcp("127.0.0.1", 502);
    if (!enc->ctx_) return fail(std::string("libmodbus context: ") + modbus_strerror(errno));
    modbus_set_socket(enc->ctx_, enc->write_fd_);
    // Some exception paths sleep for the response timeout before answering: keep it tiny.
    modbus_set_response_timeout(enc->ctx_, 0, 1);
    enc->mapping_ = modbus_mapping_new(0, 0, kMaxRegisters, kMaxRegisters);
    if (!enc->mapping_) return fail("libmodbus mapping: out of memory");
    return enc;
}

ReplyEncoder::~ReplyEncoder() {
    if (mapping_) modbus_mapping_free(mapping_);
    if (ctx_) {
        modbus_set_socket(ctx_, -1);  // the fds are ours to close
        modbus_free(ctx_);
    }
    if (write_fd_ >= 0) ::close(write_fd_);
    if (read_fd_ >= 0) ::close(read_fd_);
}

Result<std::vector<uint8_t>> ReplyEncoder::collect(int rc) {
    if (rc <= 0) return fail(std::string("modbus_reply: ") + modbus_strerror(errno));
    std::vector<uint8_t> out(static_cast<size_t>(rc));
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::read(read_fd_, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(std::string("reading the reply back: ") + std::strerror(errno));
        got += static_cast<size_t>(n);
    }
    return out;
}

Result<std::vector<uint8_t>> ReplyEncoder::registers(std::span<const uint8_t> request,
                                                     uint16_t address,
                                                     std::span<const uint16_t> words) {
    size_t n = std::min(words.size(), static_cast<size_t>(kMaxRegisters));
    // The mapping is a window onto the requested registers only; the whole 64 k map lives in
    // RegisterImage.
    mapping_->start_registers = address;
    mapping_->start_input_registers = address;
    mapping_->nb_registers = static_cast<int>(n);
    mapping_->nb_input_registers = static_cast<int>(n);
    std::copy_n(words.begin(), n, mapping_->tab_registers);
    std::copy_n(words.begin(), n, mapping_->tab_input_registers);
    int rc = modbus_reply(ctx_, request.data(), static_cast<int>(request.size()), mapping_);
    return collect(rc);
}

Result<std::vector<uint8_t>> ReplyEncoder::exception(std::span<const uint8_t> request, int code) {
    int rc = modbus_reply_exception(ctx_, request.data(), static_cast<unsigned>(code));
    return collect(rc);
}

}  // namespace sealwatch::sim
