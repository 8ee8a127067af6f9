// DL/T 645 values: signed and unsigned BCD both ways, the built-in `dlt645-2007` profile (its
// identifiers as data), decoding a field's and an event count's bytes made by hand, and the
// profile reader's messages for DL/T 645 profiles.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dlt645/bcd.hpp"
#include "dlt645/data_map.hpp"
#include "profiles/catalog.hpp"
#include "profiles/profile.hpp"

namespace dl = sealwatch::dlt645;
namespace pf = sealwatch::profiles;
using Bytes = std::vector<uint8_t>;

namespace {

const pf::Profile& dlt645_2007() {
    static const pf::Catalog catalog = pf::Catalog::builtin();
    const pf::Profile* p = catalog.find("dlt645-2007");
    EXPECT_TRUE(p);
    if (!p) std::abort();
    return *p;
}

const dl::Field& field(const std::string& quantity) {
    for (const auto& f : dlt645_2007().identifiers.fields)
        if (f.quantity == quantity) return f;
    ADD_FAILURE() << "no field " << quantity;
    std::abort();
}

std::vector<std::string> problems(const std::string& text) {
    auto p = pf::parse_profile(text, "x.toml");
    return p ? std::vector<std::string>{} : p.error();
}

bool mentions(const std::vector<std::string>& all, const std::string& what) {
    for (const auto& p : all)
        if (p.find(what) != std::string::npos) return true;
    return false;
}

const std::string kHead =
    "id = \"x\"\nprotocol = \"dlt645\"\nmanufacturer = \"m\"\nmodel = \"m\"\nsource = \"s\"\n";

}  // namespace

TEST(Dlt645Bcd, DigitsLowByteFirst) {
    EXPECT_EQ(dl::decode_bcd(Bytes{0x01, 0x22}, false), 2201);
    EXPECT_EQ(dl::decode_bcd(Bytes{0x78, 0x56, 0x34, 0x12}, false), 12345678);
    EXPECT_EQ(dl::decode_bcd(Bytes{0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99}, false),
              9999999999999999);
    EXPECT_EQ(dl::decode_bcd(Bytes{0x00}, false), 0);
}

TEST(Dlt645Bcd, TheTopBitIsTheSign) {
    EXPECT_EQ(dl::decode_bcd(Bytes{0x34, 0x12, 0x80}, true), -1234);
    EXPECT_EQ(dl::decode_bcd(Bytes{0x34, 0x12, 0x00}, true), 1234);
    EXPECT_EQ(dl::decode_bcd(Bytes{0x99, 0x79}, true), 7999);
    EXPECT_EQ(dl::decode_bcd(Bytes{0x00, 0x80}, true), 0);  // minus zero is zero
    // Unsigned, the same top bit is a digit 8.
    EXPECT_EQ(dl::decode_bcd(Bytes{0x00, 0x80}, false), 8000);
}

TEST(Dlt645Bcd, NonDigitsAndOddLengthsAreNoValue) {
    EXPECT_FALSE(dl::decode_bcd(Bytes{0xFF, 0xFF}, false));  // "not available"
    EXPECT_FALSE(dl::decode_bcd(Bytes{0x0A}, false));
    EXPECT_FALSE(dl::decode_bcd(Bytes{0xA0}, false));
    EXPECT_FALSE(dl::decode_bcd(Bytes{0x00, 0xDA}, true));  // sign off, 5A remains
    EXPECT_FALSE(dl::decode_bcd(Bytes{}, false));
    EXPECT_FALSE(dl::decode_bcd(Bytes(9, 0x00), false));
}

TEST(Dlt645Bcd, EncodeIsTheInverse) {
    EXPECT_EQ(dl::encode_bcd(-1234, 3, true), (Bytes{0x34, 0x12, 0x80}));
    EXPECT_EQ(dl::encode_bcd(2201, 2, false), (Bytes{0x01, 0x22}));
    EXPECT_FALSE(dl::encode_bcd(10000, 2, false));  // five digits in four
    EXPECT_FALSE(dl::encode_bcd(8000, 2, true));    // the top digit would hit the sign bit
    EXPECT_FALSE(dl::encode_bcd(-1, 2, false));
    EXPECT_FALSE(dl::encode_bcd(1, 0, false));
    for (int64_t v :
         {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{799999}, int64_t{-799999}, int64_t{123456}})
        EXPECT_EQ(dl::decode_bcd(dl::encode_bcd(v, 3, true).value(), true), v);
}

TEST(Dlt645Profile, TheBuiltInProfileHoldsTheStandardsIdentifiers) {
    const pf::Profile& p = dlt645_2007();
    EXPECT_EQ(p.protocol, pf::Protocol::dlt645);
    EXPECT_TRUE(p.fields.empty());
    EXPECT_TRUE(pf::plan_reads(p).empty());
    EXPECT_EQ(field("u_l1_v").id, 0x02010100u);
    EXPECT_EQ(field("i_l1_a").id, 0x02020100u);
    EXPECT_TRUE(field("i_l1_a").is_signed);
    EXPECT_EQ(field("p_w").id, 0x02030000u);
    EXPECT_EQ(field("pf").id, 0x02060000u);
    EXPECT_EQ(field("f_hz").id, 0x02800002u);
    EXPECT_EQ(field("e_imp_kwh").id, 0x00010000u);
    EXPECT_EQ(field("e_exp_kwh").id, 0x00020000u);

    const auto& counts = p.identifiers.event_counts;
    auto find = [&](dl::DataId id) -> const dl::EventCount* {
        for (const auto& c : counts)
            for (dl::DataId i : c.ids)
                if (i == id) return &c;
        return nullptr;
    };
    // Every identifier of shared/meters.md's table, with the event it raises.
    const std::vector<std::pair<dl::DataId, std::string>> expected{
        {0x03300D00, "meter_cover_opened"},  {0x03300E00, "meter_cover_opened"},
        {0x03110000, "meter_power_loss"},    {0x03300100, "meter_cleared"},
        {0x03300300, "meter_cleared"},       {0x03300400, "meter_clock_set"},
        {0x03010000, "meter_phase_failure"}, {0x03040000, "meter_phase_failure"},
        {0x030B0000, "meter_phase_failure"}, {0x10010001, "meter_phase_failure"},
        {0x10020001, "meter_phase_failure"}, {0x10030001, "meter_phase_failure"},
        {0x13010001, "meter_phase_failure"}, {0x18010001, "meter_phase_failure"}};
    for (const auto& [id, event] : expected) {
        const dl::EventCount* c = find(id);
        ASSERT_TRUE(c) << std::hex << id;
        EXPECT_EQ(c->event, event) << std::hex << id;
    }
    EXPECT_EQ(find(0x03010000)->family, "dlt645-2007");
    EXPECT_EQ(find(0x10010001)->family, "state-grid");
    EXPECT_EQ(find(0x03300D00)->family, "");
    EXPECT_EQ(p.identifiers.families(), (std::vector<std::string>{"dlt645-2007", "state-grid"}));
}

TEST(Dlt645Profile, FieldValuesFromHandMadeBytes) {
    EXPECT_EQ(dl::field_value(field("u_l1_v"), Bytes{0x01, 0x22}), 220.1);
    EXPECT_EQ(dl::field_value(field("i_l1_a"), Bytes{0x34, 0x12, 0x80}), -1.234);
    // 12.3456 kW is 12345.6 W: 3 bytes 12 34 56 low first.
    EXPECT_EQ(dl::field_value(field("p_w"), Bytes{0x56, 0x34, 0x12}), 12345.6);
    EXPECT_EQ(dl::field_value(field("p_w"), Bytes{0x56, 0x34, 0x92}), -12345.6);  // exporting
    EXPECT_EQ(dl::field_value(field("pf"), Bytes{0x87, 0x09}), 0.987);
    EXPECT_EQ(dl::field_value(field("f_hz"), Bytes{0x02, 0x50}), 50.02);
    EXPECT_EQ(dl::field_value(field("e_imp_kwh"), Bytes{0x67, 0x45, 0x23, 0x01}), 12345.67);
    EXPECT_FALSE(dl::field_value(field("u_l1_v"), Bytes{0xFF, 0xFF}));
    EXPECT_FALSE(dl::field_value(field("u_l1_v"), Bytes{0x01, 0x22, 0x00}));  // wrong length
    EXPECT_FALSE(dl::field_value(field("u_l1_v"), Bytes{0x01}));
}

TEST(Dlt645Profile, EncodeFieldRoundsAndClampsToTheDigits) {
    EXPECT_EQ(dl::encode_field(field("u_l1_v"), 220.14), (Bytes{0x01, 0x22}));
    EXPECT_EQ(dl::encode_field(field("p_w"), -12345.6), (Bytes{0x56, 0x34, 0x92}));
    EXPECT_EQ(dl::field_value(field("p_w"), dl::encode_field(field("p_w"), 1e9)), 79999.9);
    EXPECT_EQ(dl::field_value(field("u_l1_v"), dl::encode_field(field("u_l1_v"), -5)), 0.0);
    for (double v : {0.0, 1.5, 230.9, 999.9})
        EXPECT_EQ(dl::field_value(field("u_l1_v"), dl::encode_field(field("u_l1_v"), v)), v);
}

TEST(Dlt645Profile, EventCountsSumTheirCounts) {
    const auto& counts = dlt645_2007().identifiers.event_counts;
    const dl::EventCount* cover = nullptr;
    const dl::EventCount* loss = nullptr;
    for (const auto& c : counts) {
        if (c.ids == std::vector<dl::DataId>{0x03300D00}) cover = &c;
        if (c.ids == std::vector<dl::DataId>{0x03010000}) loss = &c;
    }
    ASSERT_TRUE(cover && loss);
    EXPECT_EQ(dl::count_value(*cover, Bytes{0x12, 0x00, 0x00}), 12u);
    EXPECT_FALSE(dl::count_value(*cover, Bytes{0x12, 0x00}));
    // A 3, time 100 min; B 20, time 5; C 1, time 0.
    const Bytes block{0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00,
                      0x05, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(dl::count_value(*loss, block), 24u);
}

TEST(Dlt645Profile, ProblemsAreReportedWithTheirLines) {
    EXPECT_TRUE(
        problems(kHead + "[fields]\nu_l1_v = { di = 0x02010100, bytes = 2, decimals = 1 }\n")
            .empty());
    auto p = problems(kHead + "[read]\nmax_gap = 1\n[fields]\nu_l1_v = { di = 0x02010100 }\n");
    EXPECT_TRUE(mentions(p, "x.toml:9: missing required key 'bytes' in field 'u_l1_v'"));
    EXPECT_TRUE(mentions(p, "unknown key 'read'"));
    p = problems(kHead + "[fields]\nu_l1_v = { di = -1, bytes = 9, decimals = 1 }\n");
    EXPECT_TRUE(mentions(p, "'di' in field 'u_l1_v' = -1 is out of range"));
    EXPECT_TRUE(mentions(p, "'bytes' in field 'u_l1_v' = 9 is out of range"));
    p = problems(kHead + "[fields]\nvolts = { di = 1, bytes = 2 }\n");
    EXPECT_TRUE(mentions(p, "x.toml:7: unknown quantity 'volts'"));
    p = problems(kHead + "[fields]\nu_l1_v = { di = 1, bytes = 1, decimals = 3 }\n");
    EXPECT_TRUE(mentions(p, "exceeds the digits of 1 bytes"));
    p = problems(kHead + "protocol_x = 1\n[fields]\nu_l1_v = { di = 1, bytes = 2 }\n");
    EXPECT_TRUE(mentions(p, "unknown key 'protocol_x'"));

    const std::string fields = "[fields]\nu_l1_v = { di = 1, bytes = 2 }\n";
    p = problems(kHead + fields +
                 "[[event_count]]\nevent = \"meter_opened\"\nwhat = \"w\"\ndi = 1\n");
    EXPECT_TRUE(mentions(p, "x.toml:9: 'event' in [[event_count]] is 'meter_opened', expected"));
    p = problems(kHead + fields +
                 "[[event_count]]\nevent = \"meter_power_loss\"\nwhat = \"w\"\ndi = [1, \"x\"]\n"
                 "bytes = 6\ncounts_at = [0, 4]\n");
    EXPECT_TRUE(mentions(p, "'di' in [[event_count]] must be a data identifier"));
    EXPECT_TRUE(mentions(p, "'counts_at' in [[event_count]]: each must be an offset"));
    p = problems(kHead + fields + "[[event_count]]\nevent = \"meter_power_loss\"\ndi = 1\n");
    EXPECT_TRUE(mentions(p, "missing required key 'what' in [[event_count]]"));

    p = problems(
        "id = \"x\"\nprotocol = \"iec62056\"\nmanufacturer = \"m\"\nmodel = \"m\"\n"
        "source = \"s\"\n[fields]\n");
    EXPECT_TRUE(mentions(p, "x.toml:2: 'protocol' is 'iec62056', expected 'modbus' or 'dlt645'"));
}

// Found by fuzz_dlt645 (tests/fuzz/findings/dlt645/count-offset-past-value): a count whose
// offset reaches past the value read beyond it (heap-buffer-overflow under ASan). The profile
// reader never makes such a count; count_value refuses it anyway instead of trusting that.
TEST(Dlt645Values, CountOffsetPastTheValueIsRefused) {
    dl::EventCount count;
    count.bytes = 3;
    count.counts_at = {2};
    EXPECT_FALSE(dl::count_value(count, Bytes{0x12, 0x00, 0x00}));
    count.counts_at = {0, 255};
    EXPECT_FALSE(dl::count_value(count, Bytes{0x12, 0x00, 0x00}));
}
