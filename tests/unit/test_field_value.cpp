// Values are decoded once into the digits the meter meant, so telemetry and evidence do not
// carry float noise.
#include <gtest/gtest.h>

#include "profiles/catalog.hpp"

using namespace sealwatch;

namespace {
const profiles::Field& field(const profiles::Profile& p, const std::string& q) {
    for (const auto& f : p.fields)
        if (f.quantity == q) return f;
    throw std::runtime_error("no field " + q);
}
}  // namespace

TEST(FieldValue, Float32IsItsShortestDecimal) {
    auto catalog = profiles::Catalog::builtin();
    const auto* sdm = catalog.find("eastron-sdm630");
    ASSERT_NE(sdm, nullptr);
    const uint16_t regs[] = {0x4366, 0x199a};  // 230.1f
    auto v = profiles::field_value(field(*sdm, "u_l1_v"), regs);
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 230.1);  // exactly the double 230.1, not 230.10000610351562
}

TEST(FieldValue, ScaledFloatKeepsTheMetersDigits) {
    auto catalog = profiles::Catalog::builtin();
    const auto* dtsu = catalog.find("chint-dtsu666");
    ASSERT_NE(dtsu, nullptr);
    const uint16_t regs[] = {0x481e, 0x2277};  // 161929.86f, x 0.1 W
    auto v = profiles::field_value(field(*dtsu, "p_w"), regs);
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 16192.986);
}

TEST(FieldValue, NaNIsNotAValue) {
    auto catalog = profiles::Catalog::builtin();
    const uint16_t regs[] = {0x7fc0, 0x0000};
    EXPECT_FALSE(profiles::field_value(field(*catalog.find("eastron-sdm630"), "p_w"), regs));
}
