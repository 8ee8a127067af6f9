// sealwatch-county's config (docs/county.md): the contract's minimum, defaults, the signing keys
// for `send`, and each kind of problem with its line.
#include <gtest/gtest.h>

#include <fstream>

#include "county/config.hpp"
#include "test_support.hpp"

using namespace sealwatch;

namespace {

// The contract's minimum config, plain MQTT said explicitly; 8 lines.
const std::string kMinimum = R"([county]
data_dir = "/var/lib/sealwatch-county"
[broker]
host = "127.0.0.1"
port = 1883
topic_prefix = "sealwatch/v1"
insecure = true

)";

county::Problems problems_of(const std::string& text) {
    auto r = county::parse(text, "c.toml");
    if (r) return {};
    return r.error();
}

std::string joined(const county::Problems& ps) {
    std::string all;
    for (const auto& p : ps) all += p + "\n";
    return all;
}

}  // namespace

TEST(CountyConfig, MinimumConfigHasTheDocumentedDefaults) {
    auto r = county::parse(kMinimum, "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->file, "c.toml");
    EXPECT_EQ(r->data_dir, "/var/lib/sealwatch-county");
    EXPECT_EQ(r->silent_after_s, 60);
    EXPECT_EQ(r->broker.host, "127.0.0.1");
    EXPECT_EQ(r->broker.port, 1883);
    EXPECT_EQ(r->broker.topic_prefix, "sealwatch/v1");
    EXPECT_TRUE(r->broker.insecure);
    EXPECT_FALSE(r->broker.tls);
    EXPECT_EQ(r->broker.client_id, "sealwatch-county");
    EXPECT_EQ(r->broker.keepalive_s, 30);
    EXPECT_TRUE(r->command_keys.empty());
}

TEST(CountyConfig, EveryKeyIsRead) {
    test_support::TempDir dir;
    for (const char* f : {"ca.pem", "c.pem", "c.key", "county-1.key", "county-2.key"})
        std::ofstream(dir / f) << "x";
    auto text =
        "[county]\ndata_dir = \"/srv/county\"\nsilent_after_s = 120\n[broker]\n"
        "host = \"broker.example\"\nport = 8884\ntopic_prefix = \"bureau/sw\"\n"
        "username = \"county\"\npassword = \"pw\"\nkeepalive_s = 15\n"
        "client_id = \"county-office-7\"\n[broker.tls]\nca_file = \"" +
        (dir / "ca.pem") + "\"\ncert_file = \"" + (dir / "c.pem") + "\"\nkey_file = \"" +
        (dir / "c.key") + "\"\n[[command_key]]\nid = \"county-2\"\nprivate_key_file = \"" +
        (dir / "county-2.key") + "\"\n[[command_key]]\nid = \"county-1\"\n" +
        "private_key_file = \"" + (dir / "county-1.key") + "\"\n";
    auto r = county::parse(text, "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->data_dir, "/srv/county");
    EXPECT_EQ(r->silent_after_s, 120);
    EXPECT_EQ(r->broker.host, "broker.example");
    EXPECT_EQ(r->broker.port, 8884);
    EXPECT_EQ(r->broker.topic_prefix, "bureau/sw");
    EXPECT_EQ(r->broker.username, "county");
    EXPECT_EQ(r->broker.password, "pw");
    EXPECT_EQ(r->broker.keepalive_s, 15);
    EXPECT_EQ(r->broker.client_id, "county-office-7");
    EXPECT_FALSE(r->broker.insecure);
    ASSERT_TRUE(r->broker.tls);
    EXPECT_EQ(r->broker.tls->ca_file, dir / "ca.pem");
    EXPECT_EQ(r->broker.tls->cert_file, dir / "c.pem");
    EXPECT_EQ(r->broker.tls->key_file, dir / "c.key");
    ASSERT_EQ(r->command_keys.size(), 2u);  // in file order: `send` signs with the first
    EXPECT_EQ(r->command_keys[0].id, "county-2");
    EXPECT_EQ(r->command_keys[0].line, 16u);
    EXPECT_EQ(r->command_keys[0].private_key_file, dir / "county-2.key");
    ASSERT_NE(r->find_command_key("county-1"), nullptr);
    EXPECT_EQ(r->find_command_key("county-1")->private_key_file, dir / "county-1.key");
    EXPECT_EQ(r->find_command_key("county-3"), nullptr);
}

TEST(CountyConfig, TlsIsTheDefaultSoPlainMqttMustBeAskedFor) {
    auto ps = problems_of("[county]\ndata_dir = \"/d\"\n[broker]\nhost = \"h\"\n");
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0],
              "c.toml:3: [broker]: no [broker.tls] table; plain MQTT needs 'insecure = true' "
              "said explicitly");
    auto r = county::parse("[broker]\ninsecure = true\n", "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->broker.port, 1883);  // the plain MQTT port unless told otherwise
}

TEST(CountyConfig, TlsFilesMustExistAndComeInPairs) {
    auto ps = problems_of(
        "[broker]\n[broker.tls]\nca_file = \"/nonexistent/ca.pem\"\ncert_file = "
        "\"/etc/hostname\"\n");
    ASSERT_EQ(ps.size(), 2u) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:2: [broker.tls]: 'cert_file' and 'key_file' go together");
    EXPECT_EQ(ps[1], "c.toml:3: 'ca_file': no such file /nonexistent/ca.pem");
}

TEST(CountyConfig, UnknownKeysAreErrorsWithTheirLine) {
    auto ps = problems_of(kMinimum + "[brokers]\nhost = \"h\"\n");  // line 9
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:9: unknown key 'brokers' in the top level", 0), 0u) << ps[0];
    ps = problems_of("[county]\nsilent_afer_s = 30\n[broker]\ninsecure = true\n");
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0],
              "c.toml:2: unknown key 'silent_afer_s' in [county] (expected one of: data_dir, "
              "silent_after_s)");
    ps = problems_of("[broker]\ninsecure = true\nclientid = \"x\"\n");
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:3: unknown key 'clientid' in [broker]", 0), 0u) << ps[0];
}

TEST(CountyConfig, BadValuesNameTheirLine) {
    auto ps = problems_of(
        "[county]\ndata_dir = \"\"\nsilent_after_s = 1\n[broker]\ninsecure = true\n"
        "port = 70000\ntopic_prefix = \"a/#\"\nclient_id = \"has space\"\n");
    ASSERT_EQ(ps.size(), 5u) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:2: 'data_dir' must not be empty");
    EXPECT_EQ(ps[1], "c.toml:3: 'silent_after_s' in [county] = 1 is out of range [5, 86400]");
    EXPECT_EQ(ps[2], "c.toml:6: 'port' in [broker] = 70000 is out of range [1, 65535]");
    EXPECT_EQ(ps[3].rfind("c.toml:7: 'topic_prefix' must be a non-empty MQTT topic", 0), 0u);
    EXPECT_EQ(ps[4].rfind("c.toml:8: 'client_id' in [broker] must be 1 to 64 printable", 0), 0u);
    ps = problems_of("[county]\nsilent_after_s = \"60\"\n[broker]\ninsecure = true\n");
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:2: 'silent_after_s' in [county] must be an integer");
}

TEST(CountyConfig, MissingBrokerTableIsAProblem) {
    auto ps = problems_of("[county]\ndata_dir = \"/d\"\n");
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:1: missing [broker] table");
}

TEST(CountyConfig, CommandKeysNeedAnIdAndAnExistingPrivateKeyFile) {
    test_support::TempDir dir;
    std::ofstream(dir / "k") << "x";
    const std::string k = dir / "k";
    auto ps = problems_of(kMinimum + "[[command_key]]\nid = \"county 1\"\nprivate_key_file = \"" +
                          k + "\"\n[[command_key]]\nid = \"county-2\"\n" +
                          "[[command_key]]\nid = \"county-3\"\nprivate_key_file = \"/no/such\"\n" +
                          "[[command_key]]\nid = \"county-3\"\nprivate_key_file = \"" + k + "\"\n");
    ASSERT_EQ(ps.size(), 4u) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:10: 'id' in [[command_key]]", 0), 0u) << ps[0];
    EXPECT_EQ(ps[1], "c.toml:12: missing required key 'private_key_file' in [[command_key]]");
    EXPECT_EQ(ps[2],
              "c.toml:16: 'private_key_file': no such file /no/such (sealwatch-county keygen "
              "--out FILE makes one)");
    EXPECT_EQ(ps[3], "c.toml:17: duplicate command_key id \"county-3\" (first at line 14)");
}

TEST(CountyConfig, WebTableIsReservedAndRefusedForNow) {
    auto ps = problems_of(kMinimum + "[web]\nport = 8080\n");
    ASSERT_EQ(ps.size(), 1u) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:9: [web] is reserved for the bureau's web page", 0), 0u) << ps[0];
}

TEST(CountyConfig, MalformedTomlAndMissingFileAreProblems) {
    auto ps = problems_of("[broker\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("c.toml:1: ", 0), 0u) << ps[0];
    auto r = county::load("/nonexistent/county.toml");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().front().rfind("/nonexistent/county.toml", 0), 0u) << r.error().front();
}
