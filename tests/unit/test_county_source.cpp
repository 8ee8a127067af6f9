// Where `sealwatch-county run` takes messages from (county/source/): the [source] table, the
// AMQP URLs it names, and the way back from a RabbitMQ routing key to the gateway's topic. The
// consumer itself runs against a real three-node RabbitMQ in
// tests/integration/test_county_rabbitmq.py.
#include <gtest/gtest.h>

#include "county/config.hpp"
#include "county/source/amqp_source.hpp"
#include "county/source/amqp_url.hpp"
#include "county_config_support.hpp"

using namespace sealwatch;
using test_support::joined;
using test_support::problems_of;

namespace {

const std::string kBroker = "[broker]\ninsecure = true\n";  // lines 1-2

}  // namespace

TEST(CountySource, MqttIsTheDefault) {
    auto r = county::parse(kBroker, "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->source.kind, county::SourceSettings::Kind::mqtt);
    r = county::parse(kBroker + "[source]\nkind = \"mqtt\"\n", "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->source.kind, county::SourceSettings::Kind::mqtt);
}

TEST(CountySource, AmqpKeysAndTheirDefaults) {
    auto r = county::parse(kBroker +
                               "[source]\nkind = \"amqp\"\nurls = [\"amqp://a:b@r1:5673\", "
                               "\"amqp://a:b@r2\"]\n",
                           "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->source.kind, county::SourceSettings::Kind::amqp);
    EXPECT_EQ(r->source.amqp.urls.size(), 2U);
    EXPECT_EQ(r->source.amqp.queue, "sealwatch-county");
    EXPECT_EQ(r->source.amqp.prefetch, 100);
    EXPECT_EQ(r->source.amqp.heartbeat_s, 30);

    r = county::parse(kBroker +
                          "[source]\nkind = \"amqp\"\nurls = [\"amqp://r1\"]\nqueue = "
                          "\"q\"\nprefetch = 8\nheartbeat_s = 0\n",
                      "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    EXPECT_EQ(r->source.amqp.queue, "q");
    EXPECT_EQ(r->source.amqp.prefetch, 8);
    EXPECT_EQ(r->source.amqp.heartbeat_s, 0);
}

TEST(CountySource, ProblemsNameTheirLine) {
    auto ps = problems_of(kBroker + "[source]\nkind = \"kafka\"\n");
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:4: 'kind' in [source] must be \"mqtt\" or \"amqp\"");

    ps = problems_of(kBroker + "[source]\nkind = \"amqp\"\n");
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:3: missing required key 'urls' in [source]");

    ps = problems_of(kBroker + "[source]\nkind = \"amqp\"\nurls = []\nprefetch = 0\n");
    ASSERT_EQ(ps.size(), 2U) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:5: 'urls' in [source] must name at least one node");
    EXPECT_EQ(ps[1].rfind("c.toml:6: 'prefetch' in [source] = 0 is out of range", 0), 0U) << ps[1];

    // The AMQP keys belong to kind "amqp": with the default they are refused, not ignored.
    ps = problems_of(kBroker + "[source]\nqueue = \"q\"\n");
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:4: 'queue' in [source] is for kind = \"amqp\"", 0), 0U) << ps[0];

    ps = problems_of(kBroker + "[source]\nkind = \"amqp\"\nurls = [\"amqp://r1\"]\nqueu = \"q\"\n");
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:6: unknown key 'queu' in [source]", 0), 0U) << ps[0];
}

TEST(CountySource, ABadUrlIsNamedByPositionNeverPrinted) {
    // A URL carries the password: the problem says which item, not what it holds.
    auto ps = problems_of(kBroker +
                          "[source]\nkind = \"amqp\"\nurls = [\"amqp://u:secret@r1\", "
                          "\"http://u:secret@r2\", \"amqps://u:secret@r3\"]\n");
    ASSERT_EQ(ps.size(), 2U) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:5: 'urls' in [source], item 2: not an AMQP URL", 0), 0U) << ps[0];
    EXPECT_EQ(ps[1].rfind("c.toml:5: 'urls' in [source] mix amqps:// and amqp://", 0), 0U) << ps[1];
    EXPECT_EQ(joined(ps).find("secret"), std::string::npos) << joined(ps);
}

TEST(CountySource, AmqpsTakesTheTlsTableAndOnlyIt) {
    const std::string ca = std::string(SEALWATCH_SOURCE_DIR) + "/CMakeLists.txt";  // a file
    const std::string tls = "[source.tls]\nca_file = \"" + ca + "\"\n";
    auto r = county::parse(kBroker +
                               "[source]\nkind = \"amqp\"\nurls = [\"amqps://a:b@r1\", "
                               "\"amqps://a:b@r2:5999\"]\n" +
                               tls,
                           "c.toml");
    ASSERT_TRUE(r) << joined(r.error());
    ASSERT_TRUE(r->source.amqp.tls);
    EXPECT_EQ(r->source.amqp.tls->ca_file, ca);
    EXPECT_TRUE(r->source.amqp.tls->cert_file.empty());

    // amqps:// without the CA to check the nodes against: refused, not trusted blindly.
    auto ps = problems_of(kBroker + "[source]\nkind = \"amqp\"\nurls = [\"amqps://r1\"]\n");
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:5: amqps:// 'urls' in [source] need a [source.tls] table", 0), 0U)
        << ps[0];
    // A [source.tls] that nothing would use, and one without its CA.
    ps = problems_of(kBroker + "[source]\nkind = \"amqp\"\nurls = [\"amqp://r1\"]\n" + tls);
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:6: [source.tls] is for amqps:// urls", 0), 0U) << ps[0];
    ps = problems_of(kBroker +
                     "[source]\nkind = \"amqp\"\nurls = [\"amqps://r1\"]\n"
                     "[source.tls]\ncert_file = \"" +
                     ca + "\"\n");
    ASSERT_EQ(ps.size(), 2U) << joined(ps);
    EXPECT_EQ(ps[0], "c.toml:6: missing required key 'ca_file' in [source.tls]") << ps[0];
    EXPECT_NE(ps[1].find("'cert_file' and 'key_file' go together"), std::string::npos) << ps[1];
    // And none of it with kind "mqtt".
    ps = problems_of(kBroker + "[source]\nkind = \"mqtt\"\n" + tls);
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_NE(ps[0].find("'tls' in [source] is for kind = \"amqp\""), std::string::npos) << ps[0];
}

TEST(CountySource, APrefixWithADotCannotBeCarriedThroughRabbitmq) {
    auto ps = problems_of(
        "[broker]\ninsecure = true\ntopic_prefix = \"sw.v1\"\n[source]\nkind = \"amqp\"\n"
        "urls = [\"amqp://r1\"]\n");
    ASSERT_EQ(ps.size(), 1U) << joined(ps);
    EXPECT_EQ(ps[0].rfind("c.toml:4: kind = \"amqp\" needs a [broker] topic_prefix without '.'", 0),
              0U)
        << ps[0];
    // Over MQTT a dot is just a character.
    EXPECT_TRUE(problems_of("[broker]\ninsecure = true\ntopic_prefix = \"sw.v1\"\n").empty());
}

TEST(AmqpUrl, TheDefaultsAndEveryPart) {
    auto u = county::parse_amqp_url("amqp://r1");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->host, "r1");
    EXPECT_EQ(u->port, 5672);
    EXPECT_EQ(u->vhost, "/");
    EXPECT_EQ(u->user, "guest");
    EXPECT_EQ(u->password, "guest");
    EXPECT_EQ(u->describe(), "r1:5672/");

    u = county::parse_amqp_url("amqp://county:s%40cret@10.0.0.7:5673/%2f");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->host, "10.0.0.7");
    EXPECT_EQ(u->port, 5673);
    EXPECT_EQ(u->vhost, "/");
    EXPECT_EQ(u->user, "county");
    EXPECT_EQ(u->password, "s@cret");

    u = county::parse_amqp_url("amqp://r1/bureau");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->vhost, "bureau");
    EXPECT_EQ(u->describe(), "r1:5672/bureau");
}

TEST(AmqpUrl, AmqpsIsTheSameOverTlsOnItsOwnPort) {
    auto u = county::parse_amqp_url("amqps://county:pw@r1/bureau");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_TRUE(u->tls);
    EXPECT_EQ(u->port, 5671);
    EXPECT_EQ(u->describe(), "r1:5671/bureau (TLS)");
    u = county::parse_amqp_url("amqp://r1");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_FALSE(u->tls);
    // Its certificate is checked by name: an address could never pass, so it is said at once.
    u = county::parse_amqp_url("amqps://127.0.0.1:5671");
    ASSERT_FALSE(u);
    EXPECT_NE(u.error().message.find("host name"), std::string::npos) << u.error().message;
    EXPECT_FALSE(county::parse_amqp_url("amqps://[::1]:5671"));
    EXPECT_TRUE(county::parse_amqp_url("amqp://127.0.0.1:5672"));
}

TEST(AmqpUrl, RefusedForms) {
    for (const char* bad : {"", "r1:5672", "http://r1", "amqp://r1:port"})
        EXPECT_FALSE(county::parse_amqp_url(bad)) << bad;
    // A trailing '/' names the empty vhost, which no broker has: said at config time.
    auto u = county::parse_amqp_url("amqp://r1:5672/");
    ASSERT_FALSE(u);
    EXPECT_NE(u.error().message.find("%2f"), std::string::npos) << u.error().message;
}

TEST(AmqpRoutingKey, BackToTheGatewaysTopic) {
    // RabbitMQ's MQTT plugin publishes sealwatch/v1/plant-03/gw-001/telemetry to amq.topic as
    // sealwatch.v1.plant-03.gw-001.telemetry.
    EXPECT_EQ(county::topic_of_routing_key("sealwatch.v1.plant-03.gw-001.telemetry"),
              "sealwatch/v1/plant-03/gw-001/telemetry");
    EXPECT_EQ(county::topic_of_routing_key("sealwatch.v1.p.g.cmd.export.n_0-1"),
              "sealwatch/v1/p/g/cmd/export/n_0-1");
    // The plugin leaves a topic's own '.' as it is (seen on 3.10.8: sealwatch/v1/pl.x/gw/telemetry
    // arrives as sealwatch.v1.pl.x.gw.telemetry), so it cannot come back; hence no '.' in ids
    // or in the prefix (CountySource.APrefixWithADotCannotBeCarriedThroughRabbitmq).
    EXPECT_EQ(county::topic_of_routing_key("sealwatch.v1.pl.x.gw.telemetry"),
              "sealwatch/v1/pl/x/gw/telemetry");
    EXPECT_EQ(county::topic_of_routing_key(""), "");
}
