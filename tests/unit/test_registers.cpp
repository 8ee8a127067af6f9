// Register decoding from known wire words: every type, every byte order, and round trips.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "modbus/registers.hpp"

namespace mb = sealwatch::modbus;
using mb::Encoding;
using mb::ValueType;

namespace {

Encoding enc(ValueType t, const char* order) {
    Encoding e;
    e.type = t;
    EXPECT_TRUE(mb::parse_byte_order(order, e)) << order;
    return e;
}

double dec(std::vector<uint16_t> regs, ValueType t, const char* order) {
    return mb::decode(regs, enc(t, order));
}

}  // namespace

TEST(Registers, RegisterCount) {
    EXPECT_EQ(mb::register_count(ValueType::u16), 1);
    EXPECT_EQ(mb::register_count(ValueType::i16), 1);
    EXPECT_EQ(mb::register_count(ValueType::u32), 2);
    EXPECT_EQ(mb::register_count(ValueType::i32), 2);
    EXPECT_EQ(mb::register_count(ValueType::f32), 2);
    EXPECT_EQ(mb::register_count(ValueType::u64), 4);
    EXPECT_EQ(mb::register_count(ValueType::i64), 4);
    EXPECT_EQ(mb::register_count(ValueType::f64), 4);
}

TEST(Registers, SixteenBit) {
    EXPECT_EQ(dec({0xFF38}, ValueType::u16, "AB"), 65336.0);
    EXPECT_EQ(dec({0xFF38}, ValueType::i16, "AB"), -200.0);  // sign kept
    EXPECT_EQ(dec({0x38FF}, ValueType::i16, "BA"), -200.0);
    EXPECT_EQ(dec({0x7FFF}, ValueType::i16, "AB"), 32767.0);
    EXPECT_EQ(dec({0x8000}, ValueType::i16, "AB"), -32768.0);
    EXPECT_EQ(dec({0x08FC}, ValueType::u16, "AB"), 2300.0);
}

TEST(Registers, Float32KnownValues) {
    EXPECT_EQ(dec({0x4366, 0x0000}, ValueType::f32, "ABCD"), 230.0);
    EXPECT_EQ(dec({0xBFC0, 0x0000}, ValueType::f32, "ABCD"), -1.5);
    EXPECT_EQ(dec({0x4248, 0x0000}, ValueType::f32, "ABCD"), 50.0);
    EXPECT_EQ(dec({0x0000, 0x4366}, ValueType::f32, "CDAB"), 230.0);
    EXPECT_TRUE(std::isnan(dec({0xFFC0, 0x0000}, ValueType::f32, "ABCD")));
    EXPECT_TRUE(std::isinf(dec({0x7F80, 0x0000}, ValueType::f32, "ABCD")));
}

TEST(Registers, Float32AllOrders) {
    // pi as float32 is 0x40490FDB: bytes A=40 B=49 C=0F D=DB, all different.
    const auto pi_f = static_cast<double>(3.14159274101257324f);
    EXPECT_EQ(dec({0x4049, 0x0FDB}, ValueType::f32, "ABCD"), pi_f);
    EXPECT_EQ(dec({0x0FDB, 0x4049}, ValueType::f32, "CDAB"), pi_f);
    EXPECT_EQ(dec({0x4940, 0xDB0F}, ValueType::f32, "BADC"), pi_f);
    EXPECT_EQ(dec({0xDB0F, 0x4940}, ValueType::f32, "DCBA"), pi_f);
}

TEST(Registers, Int32AllOrders) {
    EXPECT_EQ(dec({0x1234, 0x5678}, ValueType::u32, "ABCD"), 305419896.0);
    EXPECT_EQ(dec({0x5678, 0x1234}, ValueType::u32, "CDAB"), 305419896.0);
    EXPECT_EQ(dec({0x3412, 0x7856}, ValueType::u32, "BADC"), 305419896.0);
    EXPECT_EQ(dec({0x7856, 0x3412}, ValueType::u32, "DCBA"), 305419896.0);
    EXPECT_EQ(dec({0xFFFF, 0xFF85}, ValueType::i32, "ABCD"), -123.0);
    EXPECT_EQ(dec({0xFF85, 0xFFFF}, ValueType::i32, "CDAB"), -123.0);
    EXPECT_EQ(dec({0xFFFF, 0x85FF}, ValueType::i32, "BADC"), -123.0);
    EXPECT_EQ(dec({0x85FF, 0xFFFF}, ValueType::i32, "DCBA"), -123.0);
    EXPECT_EQ(dec({0xFFFF, 0xFF85}, ValueType::u32, "ABCD"), 4294967173.0);
}

TEST(Registers, SixtyFourBitAllOrders) {
    const double v = 72623859790382856.0;  // 0x0102030405060708 (nearest double)
    EXPECT_EQ(dec({0x0102, 0x0304, 0x0506, 0x0708}, ValueType::u64, "ABCDEFGH"), v);
    EXPECT_EQ(dec({0x0708, 0x0506, 0x0304, 0x0102}, ValueType::u64, "GHEFCDAB"), v);
    EXPECT_EQ(dec({0x0201, 0x0403, 0x0605, 0x0807}, ValueType::u64, "BADCFEHG"), v);
    EXPECT_EQ(dec({0x0807, 0x0605, 0x0403, 0x0201}, ValueType::u64, "HGFEDCBA"), v);
    EXPECT_EQ(dec({0xFFFF, 0xFFFF, 0xFFFF, 0xFF38}, ValueType::i64, "ABCDEFGH"), -200.0);
    EXPECT_EQ(dec({0xFF38, 0xFFFF, 0xFFFF, 0xFFFF}, ValueType::i64, "GHEFCDAB"), -200.0);
    // 12345678 Wh as int64, the way a Schneider meter sends energy.
    EXPECT_EQ(dec({0x0000, 0x0000, 0x00BC, 0x614E}, ValueType::i64, "ABCDEFGH"), 12345678.0);
    // pi as float64 is 0x400921FB54442D18.
    EXPECT_EQ(dec({0x4009, 0x21FB, 0x5444, 0x2D18}, ValueType::f64, "ABCDEFGH"), M_PI);
    EXPECT_EQ(dec({0x2D18, 0x5444, 0x21FB, 0x4009}, ValueType::f64, "GHEFCDAB"), M_PI);
    EXPECT_EQ(dec({0x0940, 0xFB21, 0x4454, 0x182D}, ValueType::f64, "BADCFEHG"), M_PI);
    EXPECT_EQ(dec({0x182D, 0x4454, 0xFB21, 0x0940}, ValueType::f64, "HGFEDCBA"), M_PI);
    EXPECT_EQ(dec({0x406C, 0xC000, 0x0000, 0x0000}, ValueType::f64, "ABCDEFGH"), 230.0);
}

TEST(Registers, RawBits) {
    Encoding e = enc(ValueType::f32, "CDAB");
    std::vector<uint16_t> r{0x0000, 0xFFC0};
    EXPECT_EQ(mb::raw_bits(r, e), 0xFFC00000u);
    e = enc(ValueType::u64, "ABCDEFGH");
    std::vector<uint16_t> r64{0x0102, 0x0304, 0x0506, 0x0708};
    EXPECT_EQ(mb::raw_bits(r64, e), 0x0102030405060708u);
}

TEST(Registers, EncodeKnownWords) {
    std::vector<uint16_t> out(4);
    mb::encode(230.0, enc(ValueType::f32, "ABCD"), out);
    EXPECT_EQ(out[0], 0x4366);
    EXPECT_EQ(out[1], 0x0000);
    mb::encode(305419896.0, enc(ValueType::u32, "DCBA"), out);
    EXPECT_EQ(out[0], 0x7856);
    EXPECT_EQ(out[1], 0x3412);
    mb::encode(-200.0, enc(ValueType::i16, "AB"), out);
    EXPECT_EQ(out[0], 0xFF38);
    mb::encode(283686952306183.0, enc(ValueType::u64, "GHEFCDAB"), out);  // 0x0001020304050607
    EXPECT_EQ(out, (std::vector<uint16_t>{0x0607, 0x0405, 0x0203, 0x0001}));
}

TEST(Registers, EncodeRoundsAndClamps) {
    std::vector<uint16_t> out(4);
    const Encoding u16 = enc(ValueType::u16, "AB");
    mb::encode(70000.0, u16, out);
    EXPECT_EQ(out[0], 0xFFFF);
    mb::encode(-5.0, u16, out);
    EXPECT_EQ(out[0], 0x0000);
    mb::encode(12.6, u16, out);
    EXPECT_EQ(out[0], 13);
    const Encoding i16 = enc(ValueType::i16, "AB");
    mb::encode(-40000.0, i16, out);
    EXPECT_EQ(mb::decode(out, i16), -32768.0);
    mb::encode(40000.0, i16, out);
    EXPECT_EQ(mb::decode(out, i16), 32767.0);
    const Encoding u64 = enc(ValueType::u64, "ABCDEFGH");
    mb::encode(1e30, u64, out);
    EXPECT_EQ(mb::raw_bits(out, u64), std::numeric_limits<uint64_t>::max());
    const Encoding i64 = enc(ValueType::i64, "ABCDEFGH");
    mb::encode(-1e30, i64, out);
    EXPECT_EQ(mb::raw_bits(out, i64), uint64_t{1} << 63);
    mb::encode(std::nan(""), i64, out);
    EXPECT_EQ(mb::decode(out, i64), 0.0);
}

TEST(Registers, RoundTripEveryTypeAndOrder) {
    struct Case {
        ValueType type;
        const char* order;
        double value;
    };
    const Case cases[] = {
        {ValueType::u16, "AB", 54321},         {ValueType::u16, "BA", 54321},
        {ValueType::i16, "AB", -12345},        {ValueType::i16, "BA", -12345},
        {ValueType::u32, "ABCD", 4000000000},  {ValueType::u32, "CDAB", 4000000000},
        {ValueType::u32, "BADC", 4000000000},  {ValueType::u32, "DCBA", 4000000000},
        {ValueType::i32, "ABCD", -2000000000}, {ValueType::i32, "CDAB", -2000000000},
        {ValueType::i32, "BADC", -2000000000}, {ValueType::i32, "DCBA", -2000000000},
        {ValueType::f32, "ABCD", -0.15625},    {ValueType::f32, "CDAB", -0.15625},
        {ValueType::f32, "BADC", -0.15625},    {ValueType::f32, "DCBA", -0.15625},
        {ValueType::u64, "ABCDEFGH", 1e15},    {ValueType::u64, "GHEFCDAB", 1e15},
        {ValueType::u64, "BADCFEHG", 1e15},    {ValueType::u64, "HGFEDCBA", 1e15},
        {ValueType::i64, "ABCDEFGH", -1e15},   {ValueType::i64, "GHEFCDAB", -1e15},
        {ValueType::i64, "BADCFEHG", -1e15},   {ValueType::i64, "HGFEDCBA", -1e15},
        {ValueType::f64, "ABCDEFGH", 1.0 / 3}, {ValueType::f64, "GHEFCDAB", 1.0 / 3},
        {ValueType::f64, "BADCFEHG", 1.0 / 3}, {ValueType::f64, "HGFEDCBA", 1.0 / 3},
    };
    for (const auto& c : cases) {
        const Encoding e = enc(c.type, c.order);
        std::vector<uint16_t> out(4, 0xAAAA);
        mb::encode(c.value, e, out);
        EXPECT_EQ(mb::decode(out, e), c.value) << mb::to_string(c.type) << " " << c.order;
        // Words past the value are left alone.
        for (int i = mb::register_count(c.type); i < 4; ++i)
            EXPECT_EQ(out[static_cast<std::size_t>(i)], 0xAAAA);
    }
}

TEST(Registers, ParseValueType) {
    EXPECT_EQ(mb::parse_value_type("u16"), ValueType::u16);
    EXPECT_EQ(mb::parse_value_type("i64"), ValueType::i64);
    EXPECT_EQ(mb::parse_value_type("float32"), ValueType::f32);
    EXPECT_EQ(mb::parse_value_type("float64"), ValueType::f64);
    EXPECT_EQ(mb::parse_value_type("int16"), std::nullopt);
    EXPECT_EQ(mb::parse_value_type(""), std::nullopt);
    for (auto t : {ValueType::u16, ValueType::i16, ValueType::u32, ValueType::i32, ValueType::u64,
                   ValueType::i64, ValueType::f32, ValueType::f64})
        EXPECT_EQ(mb::parse_value_type(mb::to_string(t)), t);
}

TEST(Registers, ParseByteOrder) {
    Encoding e;
    e.type = ValueType::f32;
    EXPECT_TRUE(mb::parse_byte_order("CDAB", e));
    EXPECT_TRUE(e.word_swap);
    EXPECT_FALSE(e.byte_swap);
    EXPECT_TRUE(mb::parse_byte_order("BADC", e));
    EXPECT_FALSE(e.word_swap);
    EXPECT_TRUE(e.byte_swap);
    EXPECT_FALSE(mb::parse_byte_order("ABCDEFGH", e));  // length does not fit f32
    EXPECT_FALSE(mb::parse_byte_order("AB", e));
    EXPECT_FALSE(mb::parse_byte_order("ACBD", e));
    e.type = ValueType::u16;
    EXPECT_TRUE(mb::parse_byte_order("BA", e));
    EXPECT_TRUE(e.byte_swap);
    EXPECT_FALSE(mb::parse_byte_order("ABCD", e));
    e.type = ValueType::i64;
    EXPECT_TRUE(mb::parse_byte_order("HGFEDCBA", e));
    EXPECT_TRUE(e.word_swap && e.byte_swap);
    EXPECT_FALSE(mb::parse_byte_order("DCBA", e));
}
