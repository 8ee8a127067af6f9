#include "modbus/tcp_frame.hpp"

#include <string>

namespace sealwatch::modbus::tcp {

namespace {

constexpr uint8_t kExceptionBit = 0x80;
// An exception answer's PDU: function | 0x80, code. A data answer's: function, byte count, data.
constexpr size_t kExceptionPduBytes = 2;

uint16_t be16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

void put_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v & 0xFF);
}

tl::unexpected<ReadError> bad_frame(const std::string& what, unsigned got, unsigned expected) {
    return tl::unexpected(
        ReadError{ErrorKind::bad_frame, 0,
                  what + " " + std::to_string(got) + ", expected " + std::to_string(expected)});
}

// The names the Modbus application protocol gives its exception codes (code 9 is unassigned).
const char* exception_name(uint8_t code) {
    switch (code) {
        case 1:
            return "Illegal function";
        case 2:
            return "Illegal data address";
        case 3:
            return "Illegal data value";
        case 4:
            return "Slave device or server failure";
        case 5:
            return "Acknowledge";
        case 6:
            return "Slave device or server is busy";
        case 7:
            return "Negative acknowledge";
        case 8:
            return "Memory parity error";
        case 10:
            return "Gateway path unavailable";
        case 11:
            return "Target device failed to respond";
        default:
            return nullptr;
    }
}

}  // namespace

uint8_t function_code(Table table) {
    return table == Table::holding ? 3 : 4;
}

std::array<uint8_t, kRequestBytes> encode(const ReadRequest& request) {
    std::array<uint8_t, kRequestBytes> out{};
    put_be16(out.data(), request.transaction);
    put_be16(&out[2], 0);                               // protocol: Modbus
    put_be16(&out[4], kRequestBytes - kMbapBytes + 1);  // unit + PDU
    out[6] = request.unit;
    out[7] = function_code(request.table);
    put_be16(&out[8], request.address);
    put_be16(&out[10], request.count);
    return out;
}

tl::expected<size_t, ReadError> check_header(const ReadRequest& request,
                                             std::span<const uint8_t, kMbapBytes> header) {
    // The transaction first: a mismatch is most likely a late answer to an earlier request.
    if (uint16_t tid = be16(header.data()); tid != request.transaction)
        return bad_frame("transaction id", tid, request.transaction);
    if (uint16_t protocol = be16(&header[2]); protocol != 0)
        return bad_frame("protocol id", protocol, 0);
    if (header[6] != request.unit) return bad_frame("unit id", header[6], request.unit);
    // The length counts the unit id and the PDU: only two values are possible for our request,
    // so a lying length (0xFFFF, 0) is refused before a byte more is read.
    const size_t length = be16(&header[4]);
    const size_t data_pdu = data_pdu_bytes(request.count);
    if (length != 1 + data_pdu && length != 1 + kExceptionPduBytes)
        return bad_frame("MBAP length", static_cast<unsigned>(length),
                         static_cast<unsigned>(1 + data_pdu));
    return length - 1;
}

tl::expected<std::vector<uint16_t>, ReadError> decode_pdu(const ReadRequest& request,
                                                          std::span<const uint8_t> pdu) {
    const uint8_t function = function_code(request.table);
    if (pdu.empty()) return bad_frame("PDU bytes", 0, 1);
    if (pdu[0] == (function | kExceptionBit)) {
        if (pdu.size() != kExceptionPduBytes)
            return bad_frame("exception PDU bytes", static_cast<unsigned>(pdu.size()),
                             kExceptionPduBytes);
        const char* name = exception_name(pdu[1]);
        if (!name) return bad_frame("exception code", pdu[1], 1);
        return tl::unexpected(ReadError{ErrorKind::exception, pdu[1], name});
    }
    if (pdu[0] != function) return bad_frame("function", pdu[0], function);
    const size_t data_bytes = size_t{2} * request.count;
    if (pdu.size() != kDataPduOverhead + data_bytes)
        return bad_frame("PDU bytes", static_cast<unsigned>(pdu.size()),
                         static_cast<unsigned>(kDataPduOverhead + data_bytes));
    if (pdu[1] != data_bytes)
        return bad_frame("byte count", pdu[1], static_cast<unsigned>(data_bytes));
    std::vector<uint16_t> regs(request.count);
    for (size_t i = 0; i < regs.size(); ++i) regs[i] = be16(&pdu[kDataPduOverhead + 2 * i]);
    return regs;
}

}  // namespace sealwatch::modbus::tcp
