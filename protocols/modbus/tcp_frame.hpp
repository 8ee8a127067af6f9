#pragma once
// Modbus TCP framing of a register read (function 3 or 4), checked strictly: the answer must
// carry our transaction id, protocol 0, the unit id we asked, an MBAP length that matches its
// PDU, our function (or its exception) and a byte count of exactly 2 per register asked.
//
// Why not libmodbus' own reader: libmodbus 3.1.6 (Debian 12) checks the transaction and
// protocol ids, the function and the byte count, but never reads the MBAP length nor the unit
// id of a TCP answer. Behind a TCP-to-RTU gateway, an answer from another unit (a gateway that
// mixes up its queue, a meter that answers for its neighbour) would then land under the wrong
// meter's name. Pure: bytes in, verdict out (the I/O is in libmodbus_client.cpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "modbus/client.hpp"

namespace sealwatch::modbus::tcp {

inline constexpr size_t kMbapBytes = 7;  // transaction(2) protocol(2) length(2) unit(1)
inline constexpr size_t kRequestBytes = kMbapBytes + 5;  // + function, address(2), count(2)

// A normal answer's PDU to a read of `count` registers: function, byte count, 2 bytes a
// register. The longest answer a request can have (an exception is shorter).
inline constexpr size_t kDataPduOverhead = 2;
constexpr size_t data_pdu_bytes(size_t count) {
    return kDataPduOverhead + 2 * count;
}

struct ReadRequest {
    uint16_t transaction = 0;
    uint8_t unit = 0;
    Table table = Table::holding;
    uint16_t address = 0;
    uint16_t count = 0;  // 1..kMaxReadRegisters
};

uint8_t function_code(Table table);  // 3 holding, 4 input

std::array<uint8_t, kRequestBytes> encode(const ReadRequest& request);

// The answer's MBAP header checked against the request: the number of PDU bytes that follow
// (the MBAP length less the unit id), or a bad_frame error naming the first field that is wrong.
tl::expected<size_t, ReadError> check_header(const ReadRequest& request,
                                             std::span<const uint8_t, kMbapBytes> header);

// The answer's PDU (function onwards, as many bytes as check_header said): the registers, an
// `exception` error with the meter's code, or a bad_frame error.
tl::expected<std::vector<uint16_t>, ReadError> decode_pdu(const ReadRequest& request,
                                                          std::span<const uint8_t> pdu);

}  // namespace sealwatch::modbus::tcp
