// Meter profiles: every built-in parses, plans valid reads, and decodes a register image made by
// hand (from known IEEE 754 / two's-complement bytes) into the right quantities; the parser's
// error messages name the file and line; the catalog loads folders.
#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/quantities.hpp"
#include "profiles/catalog.hpp"
#include "profiles/profile.hpp"

namespace pf = sealwatch::profiles;
namespace mb = sealwatch::modbus;

namespace {

// A meter's registers as a map: (table, address) -> word; absent registers read 0.
struct Image {
    std::map<std::pair<mb::Table, uint16_t>, uint16_t> regs;

    void set(mb::Table t, uint16_t address, const std::vector<uint16_t>& words) {
        for (uint16_t w : words) regs[{t, address++}] = w;
    }
    std::vector<uint16_t> read(const pf::Field& f) const {
        std::vector<uint16_t> out;
        const int n = mb::register_count(f.encoding.type);
        for (int i = 0; i < n; ++i) {
            auto it = regs.find({f.table, static_cast<uint16_t>(f.address + i)});
            out.push_back(it == regs.end() ? 0 : it->second);
        }
        return out;
    }
};

const pf::Profile& builtin(const std::string& id) {
    static const pf::Catalog catalog = pf::Catalog::builtin();
    const pf::Profile* p = catalog.find(id);
    if (!p) {
        ADD_FAILURE() << "no built-in profile " << id;
        std::abort();
    }
    return *p;
}

const pf::Field& field(const pf::Profile& p, const std::string& quantity) {
    for (const auto& f : p.fields)
        if (f.quantity == quantity) return f;
    ADD_FAILURE() << p.id << " has no field " << quantity;
    std::abort();
}

std::optional<double> value(const pf::Profile& p, const std::string& q, const Image& img) {
    const pf::Field& f = field(p, q);
    return pf::field_value(f, img.read(f));
}

std::vector<std::string> errors_of(const std::string& text) {
    auto r = pf::parse_profile(text, "test.toml");
    EXPECT_FALSE(r.has_value());
    return r ? std::vector<std::string>{} : r.error();
}

bool has(const std::vector<std::string>& errors, const std::string& needle) {
    for (const auto& e : errors)
        if (e.find(needle) != std::string::npos) return true;
    return false;
}

std::string dump(const std::vector<std::string>& errors) {
    std::string s;
    for (const auto& e : errors) s += e + "\n";
    return s;
}

const char* kMinimal = R"(id = "t"
manufacturer = "M"
model = "X"
source = "doc"
)";

}  // namespace

// ---- the built-ins as a set ----

TEST(BuiltinProfiles, AllParseAndTheModbusOnesPlanValidReads) {
    const pf::Catalog c = pf::Catalog::builtin();
    const std::vector<std::string> want{"acrel-adl400",   "chint-dtsu666",  "dlt645-2007",
                                        "eastron-sdm120", "eastron-sdm630", "schneider-iem3255"};
    EXPECT_EQ(c.ids(), want);
    for (const auto& id : want) {
        const pf::Profile* p = c.find(id);
        ASSERT_NE(p, nullptr) << id;
        EXPECT_FALSE(p->source.empty()) << id;
        EXPECT_EQ(p->origin, "builtin:" + id + ".toml");
        if (p->protocol != pf::Protocol::modbus) continue;  // test_dlt645_values.cpp
        const auto blocks = pf::plan_reads(*p);
        ASSERT_FALSE(blocks.empty()) << id;
        for (const auto& b : blocks) {
            EXPECT_GE(b.count, 1) << id;
            EXPECT_LE(b.count, mb::kMaxReadRegisters) << id;
            EXPECT_LE(b.count, p->plan.max_registers) << id;
            EXPECT_LE(uint32_t{b.address} + b.count, 0x10000u) << id;
            for (uint16_t bar : p->plan.barriers)
                EXPECT_FALSE(b.address < bar && bar < b.address + b.count)
                    << id << " block at " << b.address << " crosses barrier " << bar;
        }
        for (const auto& f : p->fields) {
            EXPECT_TRUE(sealwatch::is_quantity(f.quantity)) << id << " " << f.quantity;
            const mb::Span s{f.table, f.address,
                             static_cast<uint16_t>(mb::register_count(f.encoding.type))};
            EXPECT_GE(mb::find_block(blocks, s), 0) << id << " " << f.quantity;
        }
    }
}

// ---- Eastron SDM630 ----

TEST(BuiltinProfiles, EastronSdm630) {
    const auto& p = builtin("eastron-sdm630");
    EXPECT_EQ(field(p, "u_l1_v").address, 0x0000);
    EXPECT_EQ(field(p, "i_l3_a").address, 0x000A);
    EXPECT_EQ(field(p, "p_w").address, 0x0034);
    EXPECT_EQ(field(p, "pf").address, 0x003E);
    EXPECT_EQ(field(p, "f_hz").address, 0x0046);
    EXPECT_EQ(field(p, "e_imp_kwh").address, 0x0048);
    EXPECT_EQ(field(p, "e_exp_kwh").address, 0x004A);
    EXPECT_EQ(field(p, "thd_u_l1_pct").address, 0x00EA);
    EXPECT_EQ(field(p, "thd_i_l3_pct").address, 0x00F4);
    for (const auto& f : p.fields) EXPECT_EQ(f.table, mb::Table::input) << f.quantity;
    ASSERT_TRUE(p.serial);
    EXPECT_EQ(p.serial->table, mb::Table::holding);
    EXPECT_EQ(p.serial->address, 0xFC00);
    EXPECT_EQ(p.serial->encoding.type, mb::ValueType::u32);
    for (const auto& b : pf::plan_reads(p)) EXPECT_LE(b.count, 80);  // Eastron's 40 parameters

    Image img;
    img.set(mb::Table::input, 0x0000, {0x4366, 0x0000});  // 230.0 V
    img.set(mb::Table::input, 0x0034, {0xC4BB, 0x8000});  // -1500.0 W (exporting)
    img.set(mb::Table::input, 0x0046, {0x4248, 0x0000});  // 50.0 Hz
    img.set(mb::Table::input, 0x0048, {0x4640, 0xE600});  // 12345.5 kWh
    img.set(mb::Table::input, 0x003E, {0xBF00, 0x0000});  // -0.5
    EXPECT_EQ(value(p, "u_l1_v", img), 230.0);
    EXPECT_EQ(value(p, "p_w", img), -1500.0);
    EXPECT_EQ(value(p, "f_hz", img), 50.0);
    EXPECT_EQ(value(p, "e_imp_kwh", img), 12345.5);
    EXPECT_EQ(value(p, "pf", img), -0.5);
    EXPECT_EQ(value(p, "u_l2_v", img), 0.0);
    std::vector<uint16_t> serial{0x0001, 0xE240};
    EXPECT_EQ(pf::field_value(*p.serial, serial), 123456.0);
}

// ---- Eastron SDM120 ----

TEST(BuiltinProfiles, EastronSdm120) {
    const auto& p = builtin("eastron-sdm120");
    EXPECT_EQ(field(p, "u_l1_v").address, 0x0000);
    EXPECT_EQ(field(p, "i_l1_a").address, 0x0006);
    EXPECT_EQ(field(p, "p_w").address, 0x000C);
    EXPECT_EQ(field(p, "pf").address, 0x001E);
    EXPECT_EQ(field(p, "f_hz").address, 0x0046);
    EXPECT_EQ(field(p, "e_imp_kwh").address, 0x0048);
    EXPECT_EQ(field(p, "e_exp_kwh").address, 0x004A);
    EXPECT_EQ(field(p, "e_total_kwh").address, 0x0156);
    Image img;
    img.set(mb::Table::input, 0x0000, {0x4366, 0x0000});  // 230.0 V
    img.set(mb::Table::input, 0x000C, {0x3FC0, 0x0000});  // 1.5 W
    img.set(mb::Table::input, 0x0046, {0x4247, 0xEB85});  // 49.98 Hz (float)
    img.set(mb::Table::input, 0x0156, {0x449A, 0x5000});  // 1234.5 kWh
    EXPECT_EQ(value(p, "u_l1_v", img), 230.0);
    EXPECT_EQ(value(p, "p_w", img), 1.5);
    EXPECT_NEAR(*value(p, "f_hz", img), 49.98, 1e-5);
    EXPECT_EQ(value(p, "e_total_kwh", img), 1234.5);
}

// ---- Chint DTSU666: scaled values, phase (not line) voltages ----

TEST(BuiltinProfiles, ChintDtsu666) {
    const auto& p = builtin("chint-dtsu666");
    EXPECT_EQ(field(p, "u_l1_v").address, 0x2006);  // Ua, not Uab at 0x2000
    EXPECT_EQ(field(p, "i_l1_a").address, 0x200C);
    EXPECT_EQ(field(p, "p_w").address, 0x2012);
    EXPECT_EQ(field(p, "p_l3_w").address, 0x2018);
    EXPECT_EQ(field(p, "pf").address, 0x202A);
    EXPECT_EQ(field(p, "f_hz").address, 0x2044);
    EXPECT_EQ(field(p, "e_imp_kwh").address, 0x101E);
    EXPECT_EQ(field(p, "e_exp_kwh").address, 0x1028);
    for (const auto& f : p.fields) EXPECT_EQ(f.table, mb::Table::holding) << f.quantity;
    EXPECT_FALSE(p.serial);

    Image img;
    img.set(mb::Table::holding, 0x2000, {0x4366, 0x0000});  // Uab: must not become u_l1_v
    img.set(mb::Table::holding, 0x2006, {0x450F, 0xD000});  // 2301.0 -> 230.1 V
    img.set(mb::Table::holding, 0x200C, {0x45A0, 0x1800});  // 5123.0 -> 5.123 A
    img.set(mb::Table::holding, 0x2012, {0xC640, 0xE400});  // -12345.0 -> -1234.5 W
    img.set(mb::Table::holding, 0x202A, {0x4476, 0x4000});  // 985.0 -> 0.985
    img.set(mb::Table::holding, 0x2044, {0x459C, 0x4800});  // 5001.0 -> 50.01 Hz
    img.set(mb::Table::holding, 0x101E, {0x449A, 0x5000});  // 1234.5 kWh, unscaled
    EXPECT_NEAR(*value(p, "u_l1_v", img), 230.1, 1e-9);
    EXPECT_NEAR(*value(p, "i_l1_a", img), 5.123, 1e-9);
    EXPECT_NEAR(*value(p, "p_w", img), -1234.5, 1e-9);
    EXPECT_NEAR(*value(p, "pf", img), 0.985, 1e-9);
    EXPECT_NEAR(*value(p, "f_hz", img), 50.01, 1e-9);
    EXPECT_EQ(value(p, "e_imp_kwh", img), 1234.5);

    // The hole before PF and the one before frequency are never read across.
    for (const auto& b : pf::plan_reads(p)) {
        EXPECT_FALSE(b.address < 0x202A && 0x202A < b.address + b.count);
        EXPECT_FALSE(b.address < 0x2044 && 0x2044 < b.address + b.count);
    }
}

// ---- Acrel ADL400: mixed widths, signed ----

TEST(BuiltinProfiles, AcrelAdl400) {
    const auto& p = builtin("acrel-adl400");
    EXPECT_EQ(field(p, "e_total_kwh").address, 0x0000);
    EXPECT_EQ(field(p, "e_imp_kwh").address, 0x000A);
    EXPECT_EQ(field(p, "e_exp_kwh").address, 0x0014);
    EXPECT_EQ(field(p, "u_l1_v").address, 0x0061);
    EXPECT_EQ(field(p, "i_l3_a").address, 0x0066);
    EXPECT_EQ(field(p, "f_hz").address, 0x0077);
    EXPECT_EQ(field(p, "p_w").address, 0x016A);
    EXPECT_EQ(field(p, "pf").address, 0x017F);
    EXPECT_EQ(field(p, "pf").encoding.type, mb::ValueType::i16);
    EXPECT_EQ(field(p, "p_w").encoding.type, mb::ValueType::i32);

    Image img;
    img.set(mb::Table::holding, 0x000A, {0x0001, 0xE240});  // 123456 -> 1234.56 kWh
    img.set(mb::Table::holding, 0x0061, {0x0901});          // 2305 -> 230.5 V
    img.set(mb::Table::holding, 0x0064, {0x03E8});          // 1000 -> 10.00 A
    img.set(mb::Table::holding, 0x0077, {0x1388});          // 5000 -> 50.00 Hz
    img.set(mb::Table::holding, 0x016A, {0xFFFF, 0xFA24});  // -1500 W
    img.set(mb::Table::holding, 0x017F, {0xFC27});          // -985 -> -0.985
    img.set(mb::Table::holding, 0x00B0, {0x0123});          // 291 -> 2.91 %
    EXPECT_NEAR(*value(p, "e_imp_kwh", img), 1234.56, 1e-9);
    EXPECT_NEAR(*value(p, "u_l1_v", img), 230.5, 1e-9);
    EXPECT_NEAR(*value(p, "i_l1_a", img), 10.0, 1e-9);
    EXPECT_NEAR(*value(p, "f_hz", img), 50.0, 1e-9);
    EXPECT_EQ(value(p, "p_w", img), -1500.0);
    EXPECT_NEAR(*value(p, "pf", img), -0.985, 1e-9);
    EXPECT_NEAR(*value(p, "thd_u_l1_pct", img), 2.91, 1e-9);
}

// ---- Schneider iEM3255: 1-based docs, kW, int64 Wh, NaN ----

TEST(BuiltinProfiles, SchneiderIem3255) {
    const auto& p = builtin("schneider-iem3255");
    EXPECT_EQ(field(p, "i_l1_a").address, 2999);  // documented 3000
    EXPECT_EQ(field(p, "u_l1_v").address, 3027);  // documented 3028
    EXPECT_EQ(field(p, "p_w").address, 3059);     // documented 3060
    EXPECT_EQ(field(p, "pf").address, 3083);
    EXPECT_EQ(field(p, "f_hz").address, 3109);
    EXPECT_EQ(field(p, "e_imp_kwh").address, 3203);
    EXPECT_EQ(field(p, "e_exp_kwh").address, 3207);
    ASSERT_TRUE(p.serial);
    EXPECT_EQ(p.serial->address, 129);

    Image img;
    img.set(mb::Table::holding, 3027, {0x4366, 0x0000});                  // 230.0 V
    img.set(mb::Table::holding, 3059, {0x3FC0, 0x0000});                  // 1.5 kW
    img.set(mb::Table::holding, 3083, {0x3F78, 0x51EC});                  // 0.97
    img.set(mb::Table::holding, 3203, {0x0000, 0x0000, 0x00BC, 0x614E});  // 12345678 Wh
    img.set(mb::Table::holding, 3207, {0x8000, 0x0000, 0x0000, 0x0000});  // not available
    img.set(mb::Table::holding, 3029, {0xFFC0, 0x0000});                  // not available
    EXPECT_EQ(value(p, "u_l1_v", img), 230.0);
    EXPECT_EQ(value(p, "p_w", img), 1500.0);
    EXPECT_NEAR(*value(p, "pf", img), 0.97, 1e-7);
    EXPECT_NEAR(*value(p, "e_imp_kwh", img), 12345.678, 1e-9);
    EXPECT_EQ(value(p, "e_exp_kwh", img), std::nullopt);
    EXPECT_EQ(value(p, "u_l2_v", img), std::nullopt);
    // Reads never bridge the holes between Schneider's register groups.
    for (const auto& b : pf::plan_reads(p)) EXPECT_LE(b.count, 8);
}

// ---- field_value ----

TEST(FieldValue, NanAndShortInput) {
    pf::Field f;
    f.encoding.type = mb::ValueType::f32;
    std::vector<uint16_t> nan{0x7FC0, 0x0000};
    EXPECT_EQ(pf::field_value(f, nan), std::nullopt);
    std::vector<uint16_t> inf{0x7F80, 0x0000};
    EXPECT_EQ(pf::field_value(f, inf), std::nullopt);
    std::vector<uint16_t> one{0x4366};
    EXPECT_EQ(pf::field_value(f, one), std::nullopt);
    f.scale = 2.0;
    f.offset = -1.0;
    std::vector<uint16_t> v{0x4366, 0x0000};
    EXPECT_EQ(pf::field_value(f, v), 459.0);
}

TEST(FieldValue, IntegerAllOnesPattern) {
    auto r = pf::parse_profile(std::string(kMinimal) + R"(
[fields]
i_l1_a = { address = 1, type = "u16", not_available = 0xFFFF }
p_w = { address = 2, type = "i32", not_available = -1 }
)",
                               "t.toml");
    ASSERT_TRUE(r) << dump(r.error());
    std::vector<uint16_t> ones16{0xFFFF};
    EXPECT_EQ(pf::field_value(field(*r, "i_l1_a"), ones16), std::nullopt);
    std::vector<uint16_t> ones32{0xFFFF, 0xFFFF};
    EXPECT_EQ(pf::field_value(field(*r, "p_w"), ones32), std::nullopt);
    std::vector<uint16_t> minus2{0xFFFF, 0xFFFE};
    EXPECT_EQ(pf::field_value(field(*r, "p_w"), minus2), -2.0);
}

// ---- parsing ----

TEST(ProfileParse, DefaultsAndOverrides) {
    auto r = pf::parse_profile(std::string(kMinimal) + R"(
[defaults]
table = "input"
type = "f32"
order = "CDAB"
[read]
max_gap = 4
max_registers = 50
barriers = [0x0010, 0x0008, 0x0010]
[serial]
table = "holding"
address = 0xFC00
type = "u32"
[fields]
u_l1_v = { address = 0x0000 }
i_l1_a = { address = 0x0002, table = "holding", type = "i16", order = "BA", scale = 0.01, offset = 1 }
e_imp_kwh = { address = 0x0020, type = "u64" }
)",
                               "t.toml");
    ASSERT_TRUE(r) << dump(r.error());
    EXPECT_EQ(r->plan.max_gap, 4);
    EXPECT_EQ(r->plan.max_registers, 50);
    EXPECT_EQ(r->plan.barriers, (std::vector<uint16_t>{0x0008, 0x0010}));
    ASSERT_EQ(r->fields.size(), 3u);
    const auto& u = field(*r, "u_l1_v");
    EXPECT_EQ(u.table, mb::Table::input);
    EXPECT_EQ(u.encoding.type, mb::ValueType::f32);
    EXPECT_TRUE(u.encoding.word_swap);
    const auto& i = field(*r, "i_l1_a");
    EXPECT_EQ(i.table, mb::Table::holding);
    EXPECT_EQ(i.encoding.type, mb::ValueType::i16);
    EXPECT_TRUE(i.encoding.byte_swap);
    EXPECT_EQ(i.scale, 0.01);
    EXPECT_EQ(i.offset, 1.0);
    // The default CDAB means "low word first" for a 64-bit value too.
    EXPECT_TRUE(field(*r, "e_imp_kwh").encoding.word_swap);
    ASSERT_TRUE(r->serial);
    EXPECT_EQ(r->serial->quantity, "serial");
    EXPECT_EQ(r->serial->table, mb::Table::holding);
    EXPECT_EQ(r->serial->encoding.type, mb::ValueType::u32);
}

TEST(ProfileParse, UnknownKeyWithLine) {
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
u_l1_v = { address = 0, scael = 0.1 }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0].rfind("test.toml:7: unknown key 'scael' in field 'u_l1_v'", 0), 0u) << e[0];
}

TEST(ProfileParse, UnknownTopLevelAndSectionKeys) {
    auto e = errors_of(std::string(kMinimal) + R"(vendor = "x"
[read]
max_gaps = 3
[fields]
u_l1_v = { address = 0 }
)");
    EXPECT_TRUE(has(e, "test.toml:5: unknown key 'vendor'")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:7: unknown key 'max_gaps' in [read]")) << dump(e);
}

TEST(ProfileParse, BadTypesWithLines) {
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
u_l1_v = { address = "0x10" }
i_l1_a = { address = 2, type = "float" }
p_w = { address = 4, scale = "ten" }
f_hz = { address = 6, order = "ABCDEFGH" }
pf = { address = 8, table = "coil" }
)");
    EXPECT_TRUE(has(e, "test.toml:7: 'address' in field 'u_l1_v' must be an integer")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:8: 'type' in field 'i_l1_a' is 'float'")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:9: 'scale' in field 'p_w' must be a finite number")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:10: 'order' in field 'f_hz' = 'ABCDEFGH' does not fit type f32"))
        << dump(e);
    EXPECT_TRUE(has(e, "test.toml:11: 'table' in field 'pf' is 'coil'")) << dump(e);
    EXPECT_EQ(e.size(), 5u) << dump(e);  // every problem, in one pass
}

TEST(ProfileParse, UnknownQuantityWithLine) {
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
u_l1_v = { address = 0 }
voltage_l1 = { address = 2 }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0].rfind("test.toml:8: unknown quantity 'voltage_l1'", 0), 0u) << e[0];
}

TEST(ProfileParse, DuplicateQuantityWithLine) {
    // TOML itself forbids a key twice; the parser's message carries the line of the second one.
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
u_l1_v = { address = 0 }
i_l1_a = { address = 6 }
u_l1_v = { address = 2 }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0].rfind("test.toml:9:", 0), 0u) << e[0];
    EXPECT_NE(e[0].find("u_l1_v"), std::string::npos) << e[0];
}

TEST(ProfileParse, OverlappingFieldsWithLine) {
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
u_l1_v = { address = 0 }
u_l2_v = { address = 1 }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0],
              "test.toml:8: field 'u_l2_v' overlaps the registers of field 'u_l1_v' (line 7)");
}

TEST(ProfileParse, AddressOutOfRange) {
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
u_l1_v = { address = 65535 }
i_l1_a = { address = -1, type = "u16" }
)");
    EXPECT_TRUE(
        has(e, "test.toml:7: 'address' in field 'u_l1_v' = 65535 is out of range [0, 65534]"))
        << dump(e);
    EXPECT_TRUE(has(e, "test.toml:8: 'address' in field 'i_l1_a' = -1 is out of range")) << dump(e);
}

// Issue 15: a field that cannot fit in one read could never be read; it was accepted.
TEST(ProfileParse, FieldLongerThanMaxRegisters) {
    auto e = errors_of(std::string(kMinimal) + R"(
[read]
max_registers = 1
[fields]
u_l1_v = { address = 0x0010 }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0],
              "test.toml:9: field 'u_l1_v' takes 2 registers, more than [read] max_registers = 1 "
              "allows in one read");
}

TEST(ProfileParse, MissingKeysAndBadId) {
    auto e = errors_of(R"(id = "has space"
model = "X"
[fields]
u_l1_v = { type = "f32" }
)");
    EXPECT_TRUE(has(e, "test.toml:1: 'id' = \"has space\" is not a valid id")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:1: missing required key 'manufacturer'")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:1: missing required key 'source'")) << dump(e);
    EXPECT_TRUE(has(e, "test.toml:4: missing required key 'address' in field 'u_l1_v'")) << dump(e);
}

TEST(ProfileParse, FieldAcrossBarrier) {
    auto e = errors_of(std::string(kMinimal) + R"(
[read]
barriers = [0x0011]
[fields]
u_l1_v = { address = 0x0010 }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0], "test.toml:9: field 'u_l1_v' spans barrier 17");
}

TEST(ProfileParse, TomlSyntaxErrorHasLine) {
    auto e = errors_of(std::string(kMinimal) + "\n[fields\nu_l1_v = { address = 0 }\n");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0].rfind("test.toml:6:", 0), 0u) << e[0];
}

TEST(ProfileParse, NotAvailableMustFitWidth) {
    auto e = errors_of(std::string(kMinimal) + R"(
[fields]
i_l1_a = { address = 0, type = "u16", not_available = 0x1FFFF }
)");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0], "test.toml:7: 'not_available' in field 'i_l1_a' does not fit in 16 bits");
}

// ---- plan_reads ----

TEST(PlanReads, UsesProfileOptions) {
    auto r = pf::parse_profile(std::string(kMinimal) + R"(
[defaults]
table = "input"
[read]
max_gap = 0
[fields]
u_l1_v = { address = 0 }
u_l2_v = { address = 2 }
u_l3_v = { address = 6 }
f_hz = { address = 0, table = "holding" }
)",
                               "t.toml");
    ASSERT_TRUE(r) << dump(r.error());
    auto b = pf::plan_reads(*r);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_EQ(b[0].table, mb::Table::holding);
    EXPECT_EQ(b[1].address, 0);
    EXPECT_EQ(b[1].count, 4);
    EXPECT_EQ(b[2].address, 6);
}

// ---- catalog ----

TEST(Catalog, UserFolderAddsReplacesAndReports) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("sealwatch_profiles_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
    };
    write("b-mine.toml", R"(id = "my-meter"
manufacturer = "Me"
model = "M1"
source = "my notes"
[fields]
u_l1_v = { address = 0 }
)");
    write("a-override.toml", R"(id = "eastron-sdm630"
manufacturer = "Eastron"
model = "SDM630 local"
source = "site test"
[fields]
u_l1_v = { address = 0, table = "input" }
)");
    write("c-broken.toml", R"(id = "broken"
manufacturer = "X"
model = "Y"
source = "Z"
[fields]
nonsense = { address = 0 }
)");
    write("README.txt", "not a profile");

    pf::Catalog c = pf::Catalog::builtin();
    std::vector<std::string> problems;
    c.add_folder(dir.string(), problems);
    ASSERT_EQ(problems.size(), 1u) << dump(problems);
    EXPECT_EQ(problems[0].rfind((dir / "c-broken.toml").string() + ":6: unknown quantity", 0), 0u)
        << problems[0];
    ASSERT_NE(c.find("my-meter"), nullptr);
    EXPECT_EQ(c.find("my-meter")->origin, (dir / "b-mine.toml").string());
    ASSERT_NE(c.find("eastron-sdm630"), nullptr);
    EXPECT_EQ(c.find("eastron-sdm630")->model, "SDM630 local");
    EXPECT_NE(c.find("eastron-sdm630")->origin.find("replaces builtin:eastron-sdm630.toml"),
              std::string::npos);
    EXPECT_EQ(c.find("broken"), nullptr);
    EXPECT_EQ(c.ids().size(), 7u);

    problems.clear();
    c.add_folder((dir / "missing").string(), problems);
    EXPECT_EQ(problems.size(), 1u);
    fs::remove_all(dir);
}

TEST(ProfileParse, DeepNestingIsAProblemNotACrash) {
    std::string header = "[a";
    for (int i = 1; i < 20000; ++i) header += ".a";
    auto e = errors_of(std::string(kMinimal) + header + "]\n");
    ASSERT_EQ(e.size(), 1u) << dump(e);
    EXPECT_EQ(e[0],
              "test.toml:5: nested more than 32 levels deep (tables, arrays and dotted keys); "
              "not read");
}
