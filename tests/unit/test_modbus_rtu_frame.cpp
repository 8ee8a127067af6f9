// Modbus RTU framing for RTU over TCP (modbus/rtu_frame.hpp): golden frames worked out by hand
// (CRC-16/MODBUS from the spec's algorithm, not from this code), and every way a byte stream
// from a DTU can differ from our reply.
#include <gtest/gtest.h>

#include <vector>

#include "modbus/rtu_frame.hpp"

using namespace sealwatch::modbus;

namespace {

using Bytes = std::vector<uint8_t>;

// Unit 3, holding registers FC00H.., 2 registers: an eastron-sdm630's serial number.
const rtu::ReadRequest kSerialOf3{3, Table::holding, 0xFC00, 2};
const Bytes kSerialRequest{0x03, 0x03, 0xFC, 0x00, 0x00, 0x02, 0xF5, 0xB9};
const Bytes kSerialReply{0x03, 0x03, 0x04, 0x00, 0x00, 0x00, 0x07, 0x98, 0x31};  // serial 7
const Bytes kBusyReply{0x03, 0x83, 0x06, 0x60, 0xF2};                            // exception 6
const Bytes kUnit7Reply{0x07, 0x03, 0x04, 0x00, 0x00, 0x00, 0x09, 0x5C, 0x35};

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::optional<rtu::Verdict> scan(rtu::ReplyScanner& s, const Bytes& bytes) {
    s.feed(bytes);
    return s.next();
}

TEST(ModbusRtuFrame, CrcOfTheDocumentedRequest) {
    // docs/simulator.md's example FC04 request: 01 04 00 00 00 02, CRC 71 CB (low byte first).
    const Bytes body{0x01, 0x04, 0x00, 0x00, 0x00, 0x02};
    EXPECT_EQ(rtu::crc16(body), 0xCB71);
    auto request = rtu::encode({1, Table::input, 0, 2});
    EXPECT_EQ(Bytes(request.begin(), request.end()),
              (Bytes{0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB}));
}

TEST(ModbusRtuFrame, EncodesAHoldingRead) {
    auto request = rtu::encode(kSerialOf3);
    EXPECT_EQ(Bytes(request.begin(), request.end()), kSerialRequest);
}

TEST(ModbusRtuFrame, DecodesTheRegistersOfAGoldenReply) {
    rtu::ReplyScanner s(kSerialOf3);
    auto v = scan(s, kSerialReply);
    ASSERT_TRUE(v);
    ASSERT_TRUE(*v) << v->error().message;
    EXPECT_EQ(**v, (std::vector<uint16_t>{0, 7}));
    EXPECT_EQ(s.skipped(), 0U);
    EXPECT_EQ(s.pending(), 0U);
}

TEST(ModbusRtuFrame, ReplyInPiecesIsDecodedOnceComplete) {
    rtu::ReplyScanner s(kSerialOf3);
    for (size_t i = 0; i + 1 < kSerialReply.size(); ++i)
        EXPECT_FALSE(scan(s, {kSerialReply[i]})) << "after byte " << i;
    auto v = scan(s, {kSerialReply.back()});
    ASSERT_TRUE(v && *v);
    EXPECT_EQ(**v, (std::vector<uint16_t>{0, 7}));
}

TEST(ModbusRtuFrame, ExceptionComesBackWithItsCode) {
    rtu::ReplyScanner s(kSerialOf3);
    auto v = scan(s, kBusyReply);
    ASSERT_TRUE(v);
    ASSERT_FALSE(*v);
    EXPECT_EQ(v->error().kind, ErrorKind::exception);
    EXPECT_EQ(v->error().exception_code, 6);
}

TEST(ModbusRtuFrame, UnassignedExceptionCodeIsABadFrame) {
    rtu::ReplyScanner s(kSerialOf3);
    auto v = scan(s, {0x03, 0x83, 0x0C, 0xE0, 0xF5});
    ASSERT_TRUE(v);
    ASSERT_FALSE(*v);
    EXPECT_EQ(v->error().kind, ErrorKind::bad_frame);
}

TEST(ModbusRtuFrame, BadCrcIsNoReplyAndSaysSo) {
    Bytes garbled = kSerialReply;
    garbled.back() ^= 0xFF;
    rtu::ReplyScanner s(kSerialOf3);
    EXPECT_FALSE(scan(s, garbled));
    EXPECT_EQ(s.rejected(), "bad CRC");
    EXPECT_TRUE(s.saw_garbled_reply());
}

TEST(ModbusRtuFrame, TruncatedReplyWaitsAndIsNeverTakenForARead) {
    rtu::ReplyScanner s(kSerialOf3);
    EXPECT_FALSE(scan(s, Bytes(kSerialReply.begin(), kSerialReply.end() - 3)));
    EXPECT_GT(s.pending(), 0U);  // held: the rest may still come
    EXPECT_TRUE(s.rejected().empty());
}

TEST(ModbusRtuFrame, AnotherUnitsAnswerIsSkippedAndOursTaken) {
    // The late answer of a meter that timed out before, then ours.
    rtu::ReplyScanner s(kSerialOf3);
    auto v = scan(s, concat({kUnit7Reply, kSerialReply}));
    ASSERT_TRUE(v && *v);
    EXPECT_EQ(**v, (std::vector<uint16_t>{0, 7}));
    EXPECT_EQ(s.skipped(), kUnit7Reply.size());
}

TEST(ModbusRtuFrame, OnlyAnotherUnitsAnswerIsNoReplyWithTheReason) {
    rtu::ReplyScanner s(kSerialOf3);
    EXPECT_FALSE(scan(s, kUnit7Reply));
    EXPECT_EQ(s.rejected(), "answer from unit 7, expected 3");
    EXPECT_FALSE(s.saw_garbled_reply());
}

TEST(ModbusRtuFrame, OurUnitsAnswerToAnEarlierRequestIsSkipped) {
    // Unit 3 answering a one-register read (byte count 2) while we asked for two.
    Bytes earlier{0x03, 0x03, 0x02, 0x00, 0x05};
    const uint16_t crc = rtu::crc16(earlier);
    earlier.push_back(static_cast<uint8_t>(crc & 0xFF));
    earlier.push_back(static_cast<uint8_t>(crc >> 8));
    rtu::ReplyScanner s(kSerialOf3);
    EXPECT_FALSE(scan(s, earlier));
    EXPECT_NE(s.rejected().find("another request"), std::string::npos) << s.rejected();
    auto v = scan(s, kSerialReply);
    ASSERT_TRUE(v && *v);
}

TEST(ModbusRtuFrame, InputRegisterAnswerToAHoldingReadIsSkipped) {
    Bytes fc4 = kSerialReply;
    fc4[1] = 0x04;
    const uint16_t crc = rtu::crc16(std::span<const uint8_t>(fc4).first(fc4.size() - 2));
    fc4[fc4.size() - 2] = static_cast<uint8_t>(crc & 0xFF);
    fc4[fc4.size() - 1] = static_cast<uint8_t>(crc >> 8);
    rtu::ReplyScanner s(kSerialOf3);
    EXPECT_FALSE(scan(s, fc4));
    EXPECT_EQ(s.rejected(), "answer with function 4, expected 3");
}

TEST(ModbusRtuFrame, NoiseBeforeTheReplyIsSkipped) {
    // Line noise that includes our unit byte, a lone function code and a promise of 255 bytes.
    const Bytes noise{0xFF, 0x00, 0x03, 0x03, 0xFF, 0x55, 0x03, 0x83};
    rtu::ReplyScanner s(kSerialOf3);
    auto v = scan(s, concat({noise, kSerialReply}));
    ASSERT_TRUE(v && *v);
    EXPECT_EQ(**v, (std::vector<uint16_t>{0, 7}));
    EXPECT_EQ(s.skipped(), noise.size());
}

TEST(ModbusRtuFrame, TornFrameDoesNotHoldBackAWholeOneAfterIt) {
    // Half a frame the DTU kept from before (byte count 0x40: 69 bytes promised), then ours.
    const Bytes torn{0x03, 0x03, 0x40, 0x12, 0x34};
    rtu::ReplyScanner s(kSerialOf3);
    auto v = scan(s, concat({torn, kSerialReply}));
    ASSERT_TRUE(v && *v);
    EXPECT_EQ(**v, (std::vector<uint16_t>{0, 7}));
}

TEST(ModbusRtuFrame, AFloodOfNoiseStaysBounded) {
    rtu::ReplyScanner s(kSerialOf3);
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(scan(s, Bytes(512, 0x03)));
    EXPECT_LE(s.pending(), 1024U);
    auto v = scan(s, kSerialReply);
    ASSERT_TRUE(v && *v);
}

}  // namespace
