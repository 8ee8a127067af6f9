// What `sealwatch-county run` records from each message (county/ingest.hpp), on a real SQLite
// store: status (a retained re-delivery is no sign of life), seq from telemetry and events into
// the ledger, alarms by id, chain heads judged with the pinned key (county/chain_verdict.hpp),
// command replies, and garbage counted, never fatal.
#include <gtest/gtest.h>

#include "chain/chain.hpp"
#include "county/ingest.hpp"
#include "county/store/sqlite_store.hpp"
#include "test_support.hpp"
#include "wire/chain_head.hpp"
#include "wire/command.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"

using namespace sealwatch;
using namespace sealwatch::county;
using sealwatch::test_support::TempDir;

namespace {

const std::string kPrefix = "sealwatch/v1";
const std::string kP = kPrefix + "/plant-03/gw-001";
const GatewayRef kGw{"plant-03", "gw-001"};
const int64_t kRetentionMs = int64_t{72} * 3600 * 1000;

std::string telemetry(uint64_t seq) {
    wire::TelemetryWriter w(seq);
    w.add(test_support::reading("m1", 1'795'298'400'000, 812000.5, 182340.51));
    return w.finish();
}

Event alarm_event(const std::string& id, EventState state, WallMs ts) {
    Event e;
    e.id = id;
    e.type = "reenergized";
    e.state = state;
    e.severity = state == EventState::raised ? Severity::critical : Severity::info;
    e.asset = "furnace-2";
    e.meter = "m1";
    e.ts = ts;
    e.started = 1'795'298'400'000;
    e.details = {{"peak_w", 812000.5}};
    return e;
}

std::string event(uint64_t seq, const Event& e) {
    return *wire::event_message(seq, wire::event_json(e).dump());
}

std::string status(bool online, WallMs ts) {
    return wire::status_payload({online, ts, "0.1.0", 4});
}

// A signed head of a chain that is `n` long, as a gateway publishes it.
std::string head(const chain::SigningKey& key, int64_t n, uint8_t tag, WallMs ts,
                 const std::string& gateway = "gw-001") {
    wire::ChainHead h;
    h.gateway = gateway;
    h.n = n;
    h.head.fill(tag);
    h.ts = format_rfc3339(ts);
    h.public_key = key.public_key();
    h.fingerprint = chain::fingerprint(key.public_key());
    h.sig = *key.sign(chain::head_statement(h.gateway, h.n, h.head, h.ts));
    return wire::chain_head_payload(h);
}

class CountyIngest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto s = SqliteStore::open(database_path(dir.path.string()), SqliteStore::Mode::read_write);
        ASSERT_TRUE(s) << s.error().message;
        store = std::move(*s);
        ingest = std::make_unique<Ingest>(*store, kPrefix, kRetentionMs);
    }
    void in(const std::string& suffix, const std::string& payload, WallMs at) {
        auto r = ingest->message(kP + suffix, payload, at);
        ASSERT_TRUE(r) << r.error().message;
    }
    GatewaySummary gw() {
        auto all = store->gateways();
        EXPECT_TRUE(all && all->size() == 1);
        return all && !all->empty() ? all->front() : GatewaySummary{};
    }
    ChainRecord chain_now() { return *store->chain(kGw); }

    TempDir dir;
    std::unique_ptr<SqliteStore> store;
    std::unique_ptr<Ingest> ingest;
    chain::SigningKey key = *chain::SigningKey::generate();
};

}  // namespace

TEST_F(CountyIngest, StatusOnlineThenTheWill) {
    in("/status", status(true, 1000), 1100);
    auto g = gw();
    EXPECT_EQ(g.gw, kGw);
    ASSERT_TRUE(g.status);
    EXPECT_TRUE(g.status->online);
    EXPECT_EQ(g.status->boot, 4);
    EXPECT_EQ(g.last_message, 1100);
    in("/status", status(false, 1000), 5000);
    EXPECT_FALSE(gw().status->online);
}

TEST_F(CountyIngest, ARetainedStatusDeliveredAgainIsNoSignOfLife) {
    in("/status", status(true, 1000), 1100);
    in("/status", status(true, 1000), 90'000);  // the county re-subscribed
    EXPECT_EQ(gw().last_message, 1100);
    EXPECT_EQ(gw().status->received, 1100);
}

TEST_F(CountyIngest, TelemetryAndEventsShareOneSeqLedger) {
    in("/telemetry", telemetry(1), 100);
    in("/event", event(2, alarm_event("a1", EventState::raised, 2000)), 110);
    in("/telemetry", telemetry(5), 120);
    in("/telemetry", telemetry(5), 130);  // QoS 1 again
    auto g = gw();
    EXPECT_EQ(g.received, 3u);
    EXPECT_EQ(g.missing, 2u);
    EXPECT_EQ(g.last_seq, 5u);
    EXPECT_EQ(g.last_message, 130);
    in("/telemetry", telemetry(3), 200);
    in("/event", event(4, alarm_event("a2", EventState::info, 2000)), 200);
    EXPECT_EQ(gw().missing, 0u);
    EXPECT_TRUE(store->gaps()->front().gaps.empty());
}

TEST_F(CountyIngest, AlarmsFollowTheirIdFromRaisedToCleared) {
    in("/event", event(1, alarm_event("a1", EventState::raised, 2000)), 100);
    in("/event", event(1, alarm_event("a1", EventState::raised, 2000)), 101);  // re-sent
    in("/event", event(2, alarm_event("info-1", EventState::info, 2500)), 102);
    auto open = store->alarms(false);
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ((*open)[0].id, "a1");
    EXPECT_EQ((*open)[0].type, "reenergized");
    EXPECT_EQ((*open)[0].severity, "critical");
    EXPECT_EQ((*open)[0].asset, "furnace-2");
    EXPECT_EQ((*open)[0].raised, 2000);
    EXPECT_EQ((*open)[0].details, R"({"peak_w":812000.5})");
    in("/event", event(3, alarm_event("a1", EventState::cleared, 9000)), 103);
    EXPECT_TRUE(store->alarms(false)->empty());
    auto all = store->alarms(true);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(*(*all)[0].cleared, 9000);
    EXPECT_EQ(gw().open_alarms, 0);
}

TEST_F(CountyIngest, GarbageIsCountedPerKindAndChangesNothing) {
    in("/telemetry", telemetry(1), 100);
    in("/status", "not json", 200);
    in("/status", R"({"online":"yes"})", 200);
    in("/telemetry", R"({"readings":[]})", 200);
    in("/event", R"({"seq":2})", 200);
    in("/chain", "\xff\xfe", 200);
    in("/cmd/reply", "[]", 200);
    ASSERT_TRUE(ingest->message("sealwatch/v1/plant-03/gw-001/weird", "{}", 200));
    ASSERT_TRUE(ingest->message("other/thing", "{}", 200));
    const auto& g = ingest->garbage();
    EXPECT_EQ(g.at("status"), 2u);
    EXPECT_EQ(g.at("telemetry"), 1u);
    EXPECT_EQ(g.at("event"), 1u);
    EXPECT_EQ(g.at("chain"), 1u);
    EXPECT_EQ(g.at("cmd/reply"), 1u);
    EXPECT_EQ(g.at("topic"), 2u);
    auto s = gw();
    EXPECT_EQ(s.received, 1u);
    EXPECT_EQ(s.last_message, 100);
    EXPECT_FALSE(s.status);
}

TEST_F(CountyIngest, CommandsAndExportChunksAreNotRecorded) {
    ASSERT_TRUE(ingest->message(kP + "/cmd/ping", R"({"key":"k","sig":"s","body":"{}"})", 100));
    ASSERT_TRUE(ingest->message(kP + "/cmd/export/Yb3kQ0m1v9sX2pLd", "{}", 100));
    EXPECT_TRUE(store->gateways()->empty());
    EXPECT_TRUE(ingest->garbage().empty());
}

TEST_F(CountyIngest, ABridgeNotificationIsNoMessageFromTheGateway) {
    in("/telemetry", telemetry(1), 100);
    in("/bridge", "0", 5000);  // the bridge's will, published by the county broker
    EXPECT_EQ(gw().last_message, 100);
    EXPECT_TRUE(ingest->garbage().empty());
}

TEST_F(CountyIngest, CommandRepliesAreKept) {
    wire::CommandReply r;
    r.nonce = "Yb3kQ0m1v9sX2pLd";
    r.verb = "ping";
    r.ok = true;
    r.ts = 5000;
    r.result = {{"version", "0.1.0"}};
    in("/cmd/reply", wire::encode_reply(r), 5100);
    auto got = store->replies(kGw);
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(*(*got)[0].nonce, "Yb3kQ0m1v9sX2pLd");
    EXPECT_TRUE((*got)[0].ok);
    EXPECT_EQ((*got)[0].result, R"({"version":"0.1.0"})");
    EXPECT_EQ(gw().last_message, 5100);
}

TEST_F(CountyIngest, TheFirstHeadPinsTheKeyAndLaterOnesVerify) {
    EXPECT_EQ(chain_now().state, ChainState::unverified);
    in("/chain", head(key, 10, 0x10, 100'000), 1);
    auto c = chain_now();
    EXPECT_EQ(c.state, ChainState::verified);
    EXPECT_EQ(c.fingerprint, chain::fingerprint(key.public_key()));
    in("/chain", head(key, 10, 0x10, 100'000), 2);  // retained, again
    in("/chain", head(key, 25, 0x25, 160'000), 3);
    c = chain_now();
    EXPECT_EQ(c.state, ChainState::verified);
    EXPECT_EQ(c.last_n, 25);
    EXPECT_EQ(gw().chain, ChainState::verified);
    EXPECT_TRUE(*store->head_at(kGw, 10));
    EXPECT_TRUE(*store->head_at(kGw, 25));
    EXPECT_TRUE(store->alarms(true)->empty());
}

TEST_F(CountyIngest, AnOlderHeadDeliveredLateIsNoRewind) {
    in("/chain", head(key, 25, 0x25, 160'000), 1);
    in("/chain", head(key, 10, 0x10, 100'000), 2);
    EXPECT_EQ(chain_now().state, ChainState::verified);
    EXPECT_EQ(chain_now().last_n, 25);
}

TEST_F(CountyIngest, AHeadSignedLaterWithASmallerNBreaksTheChain) {
    in("/chain", head(key, 25, 0x25, 160'000), 1);
    in("/chain", head(key, 7, 0x07, 220'000), 2);  // the gateway's database was rewound
    auto c = chain_now();
    EXPECT_EQ(c.state, ChainState::broken);
    EXPECT_NE(c.reason.find("backwards"), std::string::npos) << c.reason;
    auto alarms = store->alarms(false);
    ASSERT_EQ(alarms->size(), 1u);
    EXPECT_EQ((*alarms)[0].type, kChainBrokenType);
    EXPECT_EQ((*alarms)[0].severity, "critical");
    EXPECT_EQ(gw().chain, ChainState::broken);
    // Broken stays broken, and one break is one alarm.
    in("/chain", head(key, 30, 0x30, 300'000), 3);
    EXPECT_EQ(chain_now().state, ChainState::broken);
    EXPECT_EQ(store->alarms(true)->size(), 1u);
}

TEST_F(CountyIngest, TwoHeadsForOneNBreakTheChain) {
    in("/chain", head(key, 25, 0x25, 160'000), 1);
    in("/chain", head(key, 25, 0x99, 160'000), 2);
    EXPECT_EQ(chain_now().state, ChainState::broken);
    EXPECT_NE(chain_now().reason.find("two heads"), std::string::npos);
    EXPECT_EQ((*store->head_at(kGw, 25))->head[0], 0x25);  // the first is kept
}

TEST_F(CountyIngest, AHeadWithAnotherKeyBreaksTheChain) {
    in("/chain", head(key, 25, 0x25, 160'000), 1);
    auto other = *chain::SigningKey::generate();
    in("/chain", head(other, 26, 0x26, 170'000), 2);
    auto c = chain_now();
    EXPECT_EQ(c.state, ChainState::broken);
    EXPECT_NE(c.reason.find("another key"), std::string::npos) << c.reason;
    EXPECT_EQ(c.fingerprint, chain::fingerprint(key.public_key()));  // the pin stays
    EXPECT_FALSE(*store->head_at(kGw, 26));
    EXPECT_EQ(store->alarms(false)->size(), 1u);
}

TEST_F(CountyIngest, AForgedHeadWithThePinnedKeyBreaksTheChain) {
    in("/chain", head(key, 25, 0x25, 160'000), 1);
    auto forged = nlohmann::json::parse(head(key, 26, 0x26, 170'000));
    forged["n"] = 27;  // the signature covered 26
    in("/chain", forged.dump(), 2);
    EXPECT_EQ(chain_now().state, ChainState::broken);
    EXPECT_NE(chain_now().reason.find("signature"), std::string::npos);
}

TEST_F(CountyIngest, BeforeAnyPinABadOrUnsignedHeadProvesNothing) {
    auto forged = nlohmann::json::parse(head(key, 26, 0x26, 170'000));
    forged["n"] = 27;
    in("/chain", forged.dump(), 1);
    auto unsigned_head = nlohmann::json::parse(head(key, 26, 0x26, 170'000));
    unsigned_head["sig"] = "";
    in("/chain", unsigned_head.dump(), 2);
    in("/chain", head(key, 5, 0x05, 100'000, "gw-002"), 3);  // another gateway's head
    EXPECT_EQ(chain_now().state, ChainState::unverified);
    EXPECT_FALSE(chain_now().pinned_key);
    EXPECT_EQ(ingest->garbage().at("chain"), 3u);
    EXPECT_TRUE(store->alarms(true)->empty());
    // A good one afterwards still pins.
    in("/chain", head(key, 26, 0x26, 170'000), 4);
    EXPECT_EQ(chain_now().state, ChainState::verified);
}

TEST_F(CountyIngest, TelemetryPowerFoldsIntoMinutesOncePerSeq) {
    const WallMs m0 = 1'795'298'400'000;  // a minute's start
    wire::TelemetryWriter w(1);
    w.add(test_support::reading("m1", m0 + 1'000, 1000.0, 5.0));
    w.add(test_support::reading("m1", m0 + 59'999, 3000.0, 5.1));
    w.add(test_support::reading("m1", m0 + 60'000, 500.0, 5.2));
    w.add(test_support::reading("m2", m0 + 2'000, -20.0, 1.0));
    w.add(test_support::reading("m2", m0 + 3'000, NAN, 1.0));   // no power this poll
    w.add(test_support::reading("m2", m0 + 4'000, 9e12, 1.0));  // not a measurement
    const auto payload = w.finish();
    in("/telemetry", payload, m0 + 70'000);
    in("/telemetry", payload, m0 + 71'000);  // QoS 1 again: not counted twice
    const std::vector<PowerMinute> want{{"m1", m0, 2, 4000.0, 1000.0, 3000.0},
                                        {"m1", m0 + 60'000, 1, 500.0, 500.0, 500.0},
                                        {"m2", m0, 1, -20.0, -20.0, -20.0}};
    EXPECT_EQ(*store->power(kGw, 0, m0 + 120'000), want);

    // A gateway's own minute rollup (its raw readings were rolled up before they could be sent).
    wire::Rollup r;
    r.meter = "m1";
    r.minute = m0 + 120'000;
    r.n = 60;
    r.p_min_w = 10;
    r.p_avg_w = 20;
    r.p_max_w = 30;
    wire::RollupWriter rw(2);
    rw.add(r);
    in("/telemetry", rw.finish(), m0 + 200'000);
    auto got = store->power(kGw, m0 + 120'000, m0 + 180'000);
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->front(), (PowerMinute{"m1", m0 + 120'000, 60, 1200.0, 10.0, 30.0}));
}

TEST_F(CountyIngest, PowerOlderThanTheRetentionIsNotKept) {
    const WallMs m0 = 1'795'298'400'000;
    wire::TelemetryWriter old(1);
    old.add(test_support::reading("m1", m0, 1000.0, 5.0));
    in("/telemetry", old.finish(), m0 + kRetentionMs + 60'000);
    EXPECT_TRUE(store->power(kGw, 0, m0 + kRetentionMs * 2)->empty());
    EXPECT_EQ(gw().received, 1u);  // the seq is recorded all the same
}

TEST_F(CountyIngest, ATestAlarmIsShownAsTheGatewaysLastTestAndNeverAsAnAlarm) {
    Event t;
    t.id = "gw-001:test_alarm:furnace-2:3000:1";
    t.type = kTestAlarmType;
    t.state = EventState::info;
    t.severity = Severity::info;
    t.asset = "furnace-2";
    t.ts = 3000;
    t.started = 3000;
    t.details = {{"test", true}, {"by", "installer Wang"}, {"note", "commissioning"}};
    in("/event", event(1, t), 3100);
    // Even marked raised (a gateway's bug, or a hand-made message) it opens no alarm.
    Event raised = t;
    raised.id = "gw-001:test_alarm:furnace-2:4000:2";
    raised.state = EventState::raised;
    raised.severity = Severity::critical;
    raised.ts = 4000;
    raised.details["by"] = 42;  // not text: left empty, not fatal
    in("/event", event(2, raised), 4100);
    auto g = gw();
    EXPECT_EQ(g.received, 2u) << "its seq counts like any event's";
    EXPECT_EQ(g.open_alarms, 0);
    EXPECT_TRUE(store->alarms(true)->empty());
    ASSERT_TRUE(g.last_test_alarm);
    EXPECT_EQ(g.last_test_alarm->id, raised.id);
    EXPECT_EQ(g.last_test_alarm->asset, "furnace-2");
    EXPECT_EQ(g.last_test_alarm->by, "");
    EXPECT_EQ(g.last_test_alarm->note, "commissioning");
    EXPECT_EQ(g.last_test_alarm->ts, 4000);
    EXPECT_EQ(g.last_test_alarm->received, 4100);
    EXPECT_EQ(g.last_test_alarm->seq, 2u);
    EXPECT_TRUE(ingest->garbage().empty());
}
