// The chain's record of county commands: `command` per accepted command, `command_refused` at
// most once a minute per reason with a count, so a flood costs a bounded number of events.
#include <gtest/gtest.h>

#include "command/events.hpp"

using namespace sealwatch;
using namespace sealwatch::command;

namespace {

const WallMs kNow = 1795298400000;

Verdict forged() {
    Verdict v;
    v.refusal = Refusal::bad_signature;
    v.key = "county-1";
    v.nonce = "n0nce-0123456789abcdef";
    return v;
}

}  // namespace

TEST(CommandEvents, AcceptedCommandNamesWhoDidWhat) {
    wire::CommandBody b;
    b.verb = "set-state";
    b.nonce = "n0nce-0123456789abcdef";
    b.args = {{"asset", "furnace-2"}, {"state", "operating"}, {"by", "Li"}};
    auto e = accepted_event("gw-001", b, "county-1", {{"chain_n", 12}}, kNow);
    EXPECT_EQ(e.type, "command");
    EXPECT_EQ(e.id, "gw-001:command:n0nce-0123456789abcdef");
    EXPECT_EQ(e.state, EventState::info);
    EXPECT_EQ(e.ts, kNow);
    EXPECT_EQ(e.details["verb"], "set-state");
    EXPECT_EQ(e.details["key"], "county-1");
    EXPECT_EQ(e.details["nonce"], b.nonce);
    EXPECT_EQ(e.details["args"]["asset"], "furnace-2");
    EXPECT_EQ(e.details["result"]["chain_n"], 12);
}

TEST(CommandEvents, AFloodOfOneReasonIsOneEventAMinuteWithItsCount) {
    RefusalTally tally("gw-001");
    auto first = tally.refused(Refusal::bad_signature, "ping", forged(), kNow);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->type, "command_refused");
    EXPECT_EQ(first->details["reason"], "bad_signature");
    EXPECT_EQ(first->details["count"], 1);
    EXPECT_EQ(first->details["last"]["key"], "county-1");
    EXPECT_EQ(first->details["last"]["nonce"], "n0nce-0123456789abcdef");
    for (int i = 1; i <= 1000; ++i)
        EXPECT_FALSE(
            tally.refused(Refusal::bad_signature, "ping", forged(), kNow + WallMs{i} * 50));
    EXPECT_TRUE(tally.due(kNow + 59999).empty());
    auto tail = tally.due(kNow + 60000);
    ASSERT_EQ(tail.size(), 1u);
    EXPECT_EQ(tail[0].details["count"], 1000);
    EXPECT_NE(tail[0].id, first->id);
    EXPECT_TRUE(tally.due(kNow + 200000).empty()) << "nothing new, nothing recorded";
}

TEST(CommandEvents, ReasonsAreLimitedSeparately) {
    RefusalTally tally("gw-001");
    Verdict garbage;
    garbage.refusal = Refusal::malformed;
    EXPECT_TRUE(tally.refused(Refusal::bad_signature, "ping", forged(), kNow));
    EXPECT_TRUE(tally.refused(Refusal::malformed, "ping", garbage, kNow + 1));
    EXPECT_FALSE(tally.refused(Refusal::malformed, "ping", garbage, kNow + 2));
    auto e = tally.refused(Refusal::replayed, "ping", forged(), kNow + 3);
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->details["last"]["nonce"].is_string());
    auto g = tally.due(kNow + 60001);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].details["reason"], "malformed");
    EXPECT_TRUE(g[0].details["last"]["nonce"].is_null());
}

TEST(CommandEvents, AClockSetBackDoesNotSilenceAReason) {
    RefusalTally tally("gw-001");
    EXPECT_TRUE(tally.refused(Refusal::expired, "ping", forged(), kNow));
    EXPECT_TRUE(tally.refused(Refusal::expired, "ping", forged(), kNow - 86400000));
}
