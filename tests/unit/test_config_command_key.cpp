// [[command_key]]: the county office keys a gateway trusts (docs/config.md); each problem with
// its line.
#include <gtest/gtest.h>

#include "chain/crypto.hpp"
#include "config/config.hpp"

using namespace sealwatch;

namespace {

const std::string kBase = R"([gateway]
id = "gw-001"
site = "plant-03"
data_dir = "/tmp/sw"

[uplink]
insecure = true
)";  // 7 lines; a [[command_key]] appended starts at line 8

// A real key's public half, in the form the config takes.
std::string public_key_base64() {
    auto key = chain::SigningKey::generate().value();
    return chain::base64(key.public_key());
}

config::Problems problems_of(const std::string& text) {
    auto r = config::parse(text, "t.toml");
    if (r) return {};
    return r.error();
}

}  // namespace

TEST(ConfigCommandKey, NoneByDefault) {
    auto r = config::parse(kBase, "t.toml");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->command_keys.empty());
}

TEST(ConfigCommandKey, KeysAreReadWithTheirRawBytes) {
    auto key = chain::SigningKey::generate().value();
    auto text = kBase + "[[command_key]]\nid = \"county-1\"\npublic_key = \"" +
                chain::base64(key.public_key()) + "\"\n[[command_key]]\nid = \"county-2\"\n" +
                "public_key = \"" + public_key_base64() + "\"\n";
    auto r = config::parse(text, "t.toml");
    ASSERT_TRUE(r) << r.error().front();
    ASSERT_EQ(r->command_keys.size(), 2u);
    EXPECT_EQ(r->command_keys[0].id, "county-1");
    EXPECT_EQ(r->command_keys[0].line, 8u);
    EXPECT_EQ(r->command_keys[0].public_key, key.public_key());
    EXPECT_EQ(r->command_keys[1].id, "county-2");
}

TEST(ConfigCommandKey, PublicKeyThatIsNotBase64Of32BytesNamesItsLine) {
    for (const char* bad : {"not base64!", "c2hvcnQ=", ""}) {
        auto ps = problems_of(kBase + "[[command_key]]\nid = \"county-1\"\npublic_key = \"" + bad +
                              "\"\n");
        ASSERT_EQ(ps.size(), 1u) << bad;
        EXPECT_EQ(ps[0].rfind("t.toml:10: 'public_key' in [[command_key]] must be base64 of a "
                              "32-byte Ed25519 public key",
                              0),
                  0u)
            << ps[0];
    }
}

TEST(ConfigCommandKey, MissingKeysAndUnknownKeys) {
    auto ps = problems_of(kBase + "[[command_key]]\nid = \"county-1\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0], "t.toml:8: missing required key 'public_key' in [[command_key]]");
    ps = problems_of(kBase + "[[command_key]]\npublic_key = \"" + public_key_base64() +
                     "\"\nfingerprint = \"x\"\n");
    ASSERT_EQ(ps.size(), 2u);
    EXPECT_EQ(ps[0], "t.toml:8: missing required key 'id' in [[command_key]]");
    EXPECT_EQ(ps[1].rfind("t.toml:10: unknown key 'fingerprint' in [[command_key]]", 0), 0u)
        << ps[1];
}

TEST(ConfigCommandKey, DuplicateIdNamesTheFirst) {
    std::string one = "[[command_key]]\nid = \"county-1\"\npublic_key = \"";
    auto ps = problems_of(kBase + one + public_key_base64() + "\"\n" + one + public_key_base64() +
                          "\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0], "t.toml:11: duplicate command_key id \"county-1\" (first at line 8)");
}
