// sealwatch-sim register image, RTU framing and the per-request decision.
#include <gtest/gtest.h>

#include <cstring>

#include "profiles/catalog.hpp"
#include "sim/register_image.hpp"
#include "sim/rtu_frame.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

using namespace sealwatch;
using namespace sealwatch::sim;

namespace {

uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

profiles::Field field(const char* quantity, modbus::Table table, uint16_t address,
                      modbus::ValueType type, double scale = 1.0, bool word_swap = false) {
    profiles::Field f;
    f.quantity = quantity;
    f.table = table;
    f.address = address;
    f.encoding.type = type;
    f.encoding.word_swap = word_swap;
    f.scale = scale;
    return f;
}

std::vector<uint8_t> rtu_request(uint8_t unit, uint8_t fc, uint16_t addr, uint16_t count) {
    std::vector<uint8_t> f{unit,
                           fc,
                           static_cast<uint8_t>(addr >> 8),
                           static_cast<uint8_t>(addr),
                           static_cast<uint8_t>(count >> 8),
                           static_cast<uint8_t>(count)};
    uint16_t crc = crc16(f);
    f.push_back(static_cast<uint8_t>(crc & 0xFF));
    f.push_back(static_cast<uint8_t>(crc >> 8));
    return f;
}

}  // namespace

TEST(SimRegisterImage, FieldsBecomeRawWords) {
    profiles::Profile p;
    p.fields.push_back(field("p_w", modbus::Table::input, 0x34, modbus::ValueType::f32));
    // Scaled integer, low word first: 1234.56 kWh at 0.01 kWh per count = 123456 = 0x0001E240.
    p.fields.push_back(
        field("e_imp_kwh", modbus::Table::holding, 0x0A, modbus::ValueType::i32, 0.01, true));
    p.serial = field("serial", modbus::Table::holding, 0xFC00, modbus::ValueType::u32);
    Values v{{"p_w", 1500.0}, {"e_imp_kwh", 1234.56}};
    RegisterImage img = RegisterImage::render(p, v, 630001);

    uint32_t bits = float_bits(1500.0f);
    EXPECT_EQ(img.word(modbus::Table::input, 0x34), bits >> 16);
    EXPECT_EQ(img.word(modbus::Table::input, 0x35), bits & 0xFFFF);
    EXPECT_EQ(img.word(modbus::Table::holding, 0x34), 0);  // other table untouched
    EXPECT_EQ(img.word(modbus::Table::holding, 0x0A), 0xE240);
    EXPECT_EQ(img.word(modbus::Table::holding, 0x0B), 0x0001);
    EXPECT_EQ(img.word(modbus::Table::holding, 0xFC00), 630001u >> 16);
    EXPECT_EQ(img.word(modbus::Table::holding, 0xFC01), 630001u & 0xFFFF);

    std::vector<uint16_t> out;
    ASSERT_EQ(img.read(modbus::Table::input, 0x30, 8, out), 0);
    EXPECT_EQ(out[4], bits >> 16);
    EXPECT_EQ(out[0], 0);  // not in the profile: reads 0
}

TEST(SimRegisterImage, BarriersAndLimits) {
    profiles::Profile p;
    p.plan.barriers = {0x202A};
    p.plan.max_registers = 80;
    RegisterImage img = RegisterImage::render(p, {}, 0);
    std::vector<uint16_t> out;
    EXPECT_EQ(img.read(modbus::Table::holding, 0x2020, 0x10, out), kIllegalDataAddress);
    EXPECT_EQ(img.read(modbus::Table::holding, 0x202A, 2, out), 0);     // may start there
    EXPECT_EQ(img.read(modbus::Table::holding, 0x2000, 0x2A, out), 0);  // ends just before
    EXPECT_EQ(img.read(modbus::Table::holding, 0, 81, out), kIllegalDataValue);
    EXPECT_EQ(img.read(modbus::Table::holding, 0, 0, out), kIllegalDataValue);
    EXPECT_EQ(img.read(modbus::Table::holding, 0xFFF0, 20, out), kIllegalDataAddress);
}

TEST(SimRegisterImage, BuiltinSdm630) {
    auto catalog = profiles::Catalog::builtin();
    const profiles::Profile* p = catalog.find("eastron-sdm630");
    ASSERT_NE(p, nullptr);
    RegisterImage img = RegisterImage::render(*p, {{"f_hz", 50.0}}, 0);
    for (const profiles::Field& f : p->fields) {
        if (f.quantity != "f_hz") continue;
        std::vector<uint16_t> out;
        ASSERT_EQ(img.read(f.table, f.address, 2, out), 0);
        EXPECT_DOUBLE_EQ(*profiles::field_value(f, out), 50.0);  // the client's decoder agrees
    }
}

TEST(SimRtuFrame, Crc) {
    // The classic example: 01 03 00 00 00 0A -> CRC C5 CD (low byte first on the wire).
    std::vector<uint8_t> f{0x01, 0x03, 0x00, 0x00, 0x00, 0x0A};
    EXPECT_EQ(crc16(f), 0xCDC5);
}

TEST(SimRtuFrame, FramesNoiseAndSilence) {
    RtuFramer framer;
    auto a = rtu_request(1, 4, 0, 2);
    auto b = rtu_request(2, 3, 0xFC00, 2);
    // A request in two pieces.
    framer.feed(std::span(a).first(3));
    EXPECT_FALSE(framer.next(false));
    framer.feed(std::span(a).subspan(3));
    auto f = framer.next(false);
    ASSERT_TRUE(f);
    EXPECT_EQ(*f, a);
    // Noise before a good frame is skipped byte by byte.
    std::vector<uint8_t> noisy{0x01, 0x03, 0x55, 0xAA};
    noisy.insert(noisy.end(), b.begin(), b.end());
    framer.feed(noisy);
    f = framer.next(false);
    ASSERT_TRUE(f);
    EXPECT_EQ(*f, b);
    EXPECT_EQ(framer.discarded(), 4u);
    // A corrupted frame is dropped, once the line goes quiet at the latest.
    auto bad = a;
    bad[3] ^= 1;
    framer.feed(bad);
    EXPECT_FALSE(framer.next(false));
    EXPECT_FALSE(framer.next(true));
    EXPECT_TRUE(framer.empty());
    // Unknown function codes end at a silence.
    std::vector<uint8_t> odd{1, 0x41, 9};
    uint16_t crc = crc16(odd);
    odd.push_back(static_cast<uint8_t>(crc & 0xFF));
    odd.push_back(static_cast<uint8_t>(crc >> 8));
    framer.feed(odd);
    EXPECT_FALSE(framer.next(false));
    f = framer.next(true);
    ASSERT_TRUE(f);
    EXPECT_EQ(*f, odd);
}

TEST(SimSimulation, DispatchAndFaults) {
    const char* text = R"(
[[listener]]
id = "bus"
rtu = "/dev/null"

[[listener]]
id = "lan"
tcp = "127.0.0.1:0"

[[meter]]
id = "ok"
unit = 1
profile = "eastron-sdm630"
serial = 42
program = [{ at = "0s", p_w = 1000 }]

[[meter]]
id = "flaky"
unit = 2
profile = "eastron-sdm630"
listener = "bus"
faults = [
  { no_answer = true, from = "10s", until = "20s" },
  { exception = 6, from = "30s", until = "40s" },
  { slow_ms = 700, corrupt_crc = true, from = "50s" },
]
)";
    auto s = parse_scenario(text, "t.toml");
    ASSERT_TRUE(s);
    auto catalog = profiles::Catalog::builtin();
    ASSERT_TRUE(check_scenario(*s, catalog).empty());
    Simulation sim(*s, catalog, 0.0);

    Request serial{1, 3, 0xFC00, 2, true};
    Decision d = sim.answer("lan", serial, 1);
    ASSERT_EQ(d.kind, Decision::Kind::registers);
    EXPECT_EQ(d.words, (std::vector<uint16_t>{0, 42}));

    Request read2{2, 4, 0, 2, true};
    EXPECT_EQ(sim.answer("lan", read2, 1).kind, Decision::Kind::unknown_unit);  // not on lan
    EXPECT_EQ(sim.answer("bus", read2, 1).kind, Decision::Kind::registers);
    EXPECT_EQ(sim.answer("bus", read2, 15).kind, Decision::Kind::silent);
    d = sim.answer("bus", read2, 35);
    EXPECT_EQ(d.kind, Decision::Kind::exception);
    EXPECT_EQ(d.exception, 6);
    d = sim.answer("bus", read2, 55);
    EXPECT_EQ(d.kind, Decision::Kind::registers);
    EXPECT_EQ(d.delay_ms, 700);
    EXPECT_TRUE(d.corrupt);
    // The faulty meter never affects its neighbour.
    d = sim.answer("bus", serial, 55);
    EXPECT_EQ(d.kind, Decision::Kind::registers);
    EXPECT_EQ(d.delay_ms, 0);
    EXPECT_FALSE(d.corrupt);

    Request write{1, 6, 0, 1, true};
    d = sim.answer("lan", write, 1);
    EXPECT_EQ(d.exception, kIllegalFunction);

    EXPECT_NEAR(sim.values("ok", 3600)["e_imp_kwh"], 1.0, 1e-9);
}

TEST(SimSimulation, ReloadKeepsCountersAndAddsMeters) {
    auto catalog = profiles::Catalog::builtin();
    auto first = parse_scenario(R"(
[[listener]]
id = "lan"
tcp = "127.0.0.1:0"
[[meter]]
id = "f"
unit = 1
profile = "eastron-sdm630"
e_imp_kwh = 100
)",
                                "a.toml");
    ASSERT_TRUE(first);
    Simulation sim(*first, catalog, 0.0);
    EXPECT_NEAR(sim.values("f", 3600)["e_imp_kwh"], 100, 1e-9);
    auto second = parse_scenario(R"(
[[listener]]
id = "lan"
tcp = "127.0.0.1:0"
[[meter]]
id = "f"
unit = 1
profile = "eastron-sdm630"
e_imp_kwh = 100
program = [{ at = "0s", p_w = 800000 }]
[[meter]]
id = "g"
unit = 2
profile = "eastron-sdm120"
e_imp_kwh = 5
program = [{ at = "0s", p_w = 3600 }]
)",
                                 "a.toml");
    ASSERT_TRUE(second);
    sim.reload(*second, catalog, 3600);
    EXPECT_NEAR(sim.values("f", 7200)["e_imp_kwh"], 100 + 800, 1e-6);
    EXPECT_NEAR(sim.values("g", 7200)["e_imp_kwh"], 5 + 3.6, 1e-9);  // counts from the reload
}
