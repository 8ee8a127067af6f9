// The gateway's topics (docs/protocol.md) and their parsing by a subscriber of <prefix>/#.
#include <gtest/gtest.h>

#include "wire/topics.hpp"

using namespace sealwatch::wire;

TEST(WireTopics, OneGatewaysTopicsAsTheProtocolNamesThem) {
    auto t = Topics::for_gateway("sealwatch/v1", "plant-03", "gw-001");
    EXPECT_EQ(t.root, "sealwatch/v1/plant-03/gw-001");
    EXPECT_EQ(t.status, "sealwatch/v1/plant-03/gw-001/status");
    EXPECT_EQ(t.telemetry, "sealwatch/v1/plant-03/gw-001/telemetry");
    EXPECT_EQ(t.event, "sealwatch/v1/plant-03/gw-001/event");
    EXPECT_EQ(t.chain, "sealwatch/v1/plant-03/gw-001/chain");
    EXPECT_EQ(t.cmd_reply, "sealwatch/v1/plant-03/gw-001/cmd/reply");
    EXPECT_EQ(t.cmd("set-state"), "sealwatch/v1/plant-03/gw-001/cmd/set-state");
    EXPECT_EQ(t.cmd_filter(), "sealwatch/v1/plant-03/gw-001/cmd/+");
    EXPECT_EQ(t.export_chunks("n0nce_1"), "sealwatch/v1/plant-03/gw-001/cmd/export/n0nce_1");
}

TEST(WireTopics, EveryTopicTheGatewayWritesParsesBackToWhatItNames) {
    const std::string prefix = "sealwatch/v1";
    auto t = Topics::for_gateway(prefix, "plant-03", "gw-001");
    struct Case {
        std::string topic;
        TopicKind kind;
        std::string arg;
    };
    for (const auto& c :
         {Case{t.status, TopicKind::status, ""}, Case{t.telemetry, TopicKind::telemetry, ""},
          Case{t.event, TopicKind::event, ""}, Case{t.chain, TopicKind::chain, ""},
          Case{t.cmd_reply, TopicKind::cmd_reply, ""}, Case{t.cmd("ping"), TopicKind::cmd, "ping"},
          Case{t.cmd("export"), TopicKind::cmd, "export"},
          Case{t.export_chunks("abc-123"), TopicKind::export_chunks, "abc-123"},
          Case{t.bridge, TopicKind::bridge, ""}}) {
        auto n = parse_topic(prefix, c.topic);
        ASSERT_TRUE(n) << c.topic;
        EXPECT_EQ(n->site, "plant-03") << c.topic;
        EXPECT_EQ(n->gateway, "gw-001") << c.topic;
        EXPECT_EQ(n->kind, c.kind) << c.topic;
        EXPECT_EQ(n->arg, c.arg) << c.topic;
    }
}

TEST(WireTopics, TopicsOutsideTheTableAreNotNamed) {
    const std::string p = "sealwatch/v1";
    for (std::string bad :
         {"", "sealwatch/v1", "sealwatch/v1/", "sealwatch/v2/s/g/status",
          "sealwatch/v1x/s/g/status", "other/s/g/status", "sealwatch/v1/s/g",
          "sealwatch/v1/s/g/statuses", "sealwatch/v1/s//status", "sealwatch/v1//g/status",
          "sealwatch/v1/s/g/status/", "sealwatch/v1/s/g/cmd", "sealwatch/v1/s/g/cmd/",
          "sealwatch/v1/s/g/cmd/export/", "sealwatch/v1/s/g/cmd/ping/x",
          "sealwatch/v1/s/g/cmd/export/a/b", "sealwatch/v1/+/g/status", "sealwatch/v1/s/#",
          "sealwatch/v1/s/g/telemetry/x"})
        EXPECT_FALSE(parse_topic(p, bad)) << bad;
}
