// sealwatch-county's config (docs/county.md): the contract's minimum, defaults, the signing keys
// for `send`, and each kind of problem with its line.
#include <gtest/gtest.h>

#include <fstream>

#include "county/config.hpp"
#include "county_config_support.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using test_support::joined;
using test_support::problems_of;

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

}  // namespace

TEST(CountyConfig, MinimumConfigHasTheDocumentedDefaults) {
    auto r = county::parse(kMinimum, "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->file, "c.toml");
    EXPECT_EQ(r->data_dir, "/var/lib/sealwatch-county");
    EXPECT_EQ(r->silent_after_s, 60);
    EXPECT_EQ(r->power_retention_h, 72);
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
        "[county]\ndata_dir = \"/srv/county\"\nsilent_after_s = 120\npower_retention_h = 24\n"
        "[broker]\n"
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
    EXPECT_EQ(r->power_retention_h, 24);
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
    EXPECT_EQ(r->command_keys[0].line, 17u);
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
              "silent_after_s, power_retention_h)");
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

TEST(CountyConfig, WebIsOffWithoutItsTableAndNeedsNothingMoreOnLoopback) {
    EXPECT_FALSE(county::parse(kMinimum, "c.toml")->web);
    auto r = county::parse(kMinimum + "[web]\n", "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    ASSERT_TRUE(r->web);
    EXPECT_EQ(r->web->host, "127.0.0.1");
    EXPECT_EQ(r->web->port, 8080);
    EXPECT_EQ(r->web->username, "bureau");
    EXPECT_EQ(r->web->password_hash, "");
    EXPECT_EQ(r->web->timezone, "UTC");
    EXPECT_FALSE(r->web->tls);
    EXPECT_EQ(r->web->line, 9u);
}

TEST(CountyConfig, WebAwayFromLoopbackNeedsTlsAndAPasswordHash) {
    test_support::TempDir dir;
    for (const char* f : {"web.pem", "web.key"}) std::ofstream(dir / f) << "x";
    const std::string tls = "[web.tls]\ncert_file = \"" + (dir / "web.pem") + "\"\nkey_file = \"" +
                            (dir / "web.key") + "\"\n";
    const std::string hash = "password_hash = \"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\"\n";
    const std::string refused =
        "c.toml:9: [web]: host \"0.0.0.0\" is reachable from other machines: the page is served "
        "there only with [web.tls] (cert_file, key_file) and a password_hash; or use host = "
        "\"127.0.0.1\"";
    for (const auto& body : {std::string(), hash, tls}) {
        auto ps = problems_of(kMinimum + "[web]\nhost = \"0.0.0.0\"\n" + body);
        ASSERT_EQ(ps.size(), 1u) << joined(ps);
        EXPECT_EQ(ps[0], refused);
    }
    auto r = county::parse(kMinimum +
                               "[web]\nhost = \"0.0.0.0\"\nport = 8443\nusername = "
                               "\"li\"\ntimezone = \"Asia/Shanghai\"\n" +
                               hash + tls,
                           "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->web->port, 8443);
    EXPECT_EQ(r->web->username, "li");
    EXPECT_EQ(r->web->timezone, "Asia/Shanghai");
    EXPECT_EQ(r->web->password_hash.rfind("$argon2id$", 0), 0u);
    ASSERT_TRUE(r->web->tls);
    EXPECT_EQ(r->web->tls->cert_file, dir / "web.pem");
    EXPECT_EQ(r->web->tls->key_file, dir / "web.key");
}

TEST(CountyConfig, WebBadValuesNameTheirLine) {
    auto ps = problems_of(kMinimum +
                          "[web]\npassword_hash = \"hunter2\"\ntimezone = \"Mars/Olympus\"\n"
                          "username = \"a:b\"\nport = 0\nlisten = 1\n[web.tls]\n"
                          "cert_file = \"/no/such.pem\"\n");
    ASSERT_EQ(ps.size(), 7u) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:10: 'password_hash' in [web] must be an Argon2id hash", 0), 0u)
        << ps[0];
    EXPECT_EQ(ps[1], "c.toml:11: unknown timezone \"Mars/Olympus\" (see /usr/share/zoneinfo)");
    EXPECT_EQ(ps[2], "c.toml:12: 'username' in [web] must be non-empty and without ':'");
    EXPECT_EQ(ps[3].rfind("c.toml:13: ", 0), 0u) << ps[3];  // port out of range
    EXPECT_EQ(ps[4].rfind("c.toml:14: unknown key 'listen' in [web]", 0), 0u) << ps[4];
    EXPECT_EQ(ps[5].rfind("c.toml:15: missing required key 'key_file'", 0), 0u) << ps[5];
    EXPECT_EQ(ps[6], "c.toml:16: 'cert_file': no such file /no/such.pem");
}

TEST(CountyConfig, LoopbackIsOnlyThisMachine) {
    for (const char* host : {"127.0.0.1", "127.8.9.10", "::1", "localhost"})
        EXPECT_TRUE(county::is_loopback(host)) << host;
    for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.org", "", "127"})
        EXPECT_FALSE(county::is_loopback(host)) << host;
}

TEST(CountyConfig, MalformedTomlAndMissingFileAreProblems) {
    auto ps = problems_of("[broker\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("c.toml:1: ", 0), 0u) << ps[0];
    auto r = county::load("/nonexistent/county.toml");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().front().rfind("/nonexistent/county.toml", 0), 0u) << r.error().front();
}
