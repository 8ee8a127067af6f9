// The bytes on the wire, pinned: payloads captured from the gateway's code before the wire
// contract moved into agent/wire/, checked byte for byte after. The county office de-duplicates
// and compares re-sent seqs by content, so a changed byte is a contract change.
#include <gtest/gtest.h>

#include <fstream>

#include "chain/crypto.hpp"
#include "common/quantities.hpp"
#include "evidence/agent_side.hpp"
#include "store/store.hpp"
#include "test_support.hpp"
#include "wire/chain_head.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"

using namespace sealwatch;
using sealwatch::test_support::q;
using sealwatch::test_support::TempDir;

namespace {

constexpr WallMs kT = 1795298400125;  // 2026-11-21T22:00:00.125Z

Reading golden_reading() {
    Reading r;
    r.meter = "m1";
    r.wall_ms = kT;
    r.values = {{q("p_w"), 812000.5},
                {q("e_imp_kwh"), 182340.51},
                {q("u_l1_v"), static_cast<double>(230.1f)},
                {q("pf"), -0.98},
                {q("i_l1_a"), 0.0},
                {q("e_exp_kwh"), 1e21},
                {q("f_hz"), std::nan("")}};
    r.serial = "630001";
    return r;
}

Event golden_event() {
    Event e;
    e.id = "gw-001:reenergized:furnace-2:1795298400000";
    e.type = "reenergized";
    e.state = EventState::raised;
    e.severity = Severity::critical;
    e.asset = "furnace-2";
    e.meter = "m1";
    e.ts = 1795298520000;
    e.started = 1795298400000;
    e.details["peak_w"] = 812000.5;
    e.details["energy_kwh"] = 27.1;
    e.details["note"] = "quote \" backslash \\ tab \t \xe7\x82\x89";
    e.details["phases"] = {1, 2, 3};
    return e;
}

}  // namespace

TEST(WireGolden, ReadingObject) {
    EXPECT_EQ(wire::reading_json(golden_reading()),
              R"({"meter":"m1","ts":"2026-11-21T22:00:00.125Z","values":{"p_w":812000.5,)"
              R"("e_imp_kwh":182340.51,"u_l1_v":230.10000610351562,"pf":-0.98,"i_l1_a":0,)"
              R"("e_exp_kwh":1e+21,"f_hz":null},"serial":"630001"})");
}

TEST(WireGolden, ReadingObjectOfAnUnsynchronisedClock) {
    auto r = golden_reading();
    r.values.resize(1);
    r.serial.reset();
    r.clock_unsynced = true;
    EXPECT_EQ(wire::reading_json(r),
              R"({"meter":"m1","ts":"2026-11-21T22:00:00.125Z","values":{"p_w":812000.5},)"
              R"("clock_unsynced":true})");
}

TEST(WireGolden, EventObject) {
    EXPECT_EQ(wire::event_json(golden_event()).dump(),
              R"({"id":"gw-001:reenergized:furnace-2:1795298400000","type":"reenergized",)"
              R"("state":"raised","severity":"critical","asset":"furnace-2","meter":"m1",)"
              R"("ts":"2026-11-21T22:02:00.000Z","started":"2026-11-21T22:00:00.000Z",)"
              R"("details":{"peak_w":812000.5,"energy_kwh":27.1,)"
              R"("note":"quote \" backslash \\ tab \t )"
              "\xe7\x82\x89"
              R"(","phases":[1,2,3]}})");
}

TEST(WireGolden, TelemetryEventAndRollupMessagesFromTheStore) {
    TempDir dir;
    store::Options o;
    o.budget_bytes = 1;  // forces never-sent readings into rollups
    auto s = store::Store::open(dir.db(), o);
    ASSERT_TRUE(s) << s.error().message;
    auto r2 = golden_reading();
    r2.meter = "m\"2\n";  // escaped on the wire
    r2.wall_ms = kT + 7;
    r2.serial.reset();
    r2.values = {{q("p_w"), -174.25}};
    r2.clock_unsynced = true;
    ASSERT_TRUE(s->append_readings(std::vector{golden_reading(), r2}));
    ASSERT_TRUE(s->append_event(golden_event()));
    auto ev = s->form_event_message();
    ASSERT_TRUE(ev && *ev);
    EXPECT_EQ(*s->payload(**ev),
              R"({"seq":1,"id":"gw-001:reenergized:furnace-2:1795298400000","type":"reenergized",)"
              R"("state":"raised","severity":"critical","asset":"furnace-2","meter":"m1",)"
              R"("ts":"2026-11-21T22:02:00.000Z","started":"2026-11-21T22:00:00.000Z",)"
              R"("details":{"peak_w":812000.5,"energy_kwh":27.1,)"
              R"("note":"quote \" backslash \\ tab \t )"
              "\xe7\x82\x89"
              R"(","phases":[1,2,3]}})");
    auto tm = s->form_telemetry_message(200, kT + 1000000);
    ASSERT_TRUE(tm && *tm);
    EXPECT_EQ(*s->payload(**tm),
              R"({"seq":2,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00.125Z","values":{)"
              R"("p_w":812000.5,"e_imp_kwh":182340.51,"u_l1_v":230.10000610351562,"pf":-0.98,)"
              R"("i_l1_a":0,"e_exp_kwh":1e+21,"f_hz":null},"serial":"630001"},)"
              R"({"meter":"m\"2\n","ts":"2026-11-21T22:00:00.132Z","values":{"p_w":-174.25},)"
              R"("clock_unsynced":true}]})");

    // Never sent and over the budget: rolled up, and the rollups go out instead.
    std::vector<Reading> old;
    for (int i = 0; i < 90; ++i) {
        Reading r;
        r.meter = "m3";
        r.wall_ms = 60000 * 10 + i * 1000;
        r.values = {{q("p_w"), 100.0 + i}, {q("e_imp_kwh"), 5.5 + i * 0.25}};
        old.push_back(r);
    }
    ASSERT_TRUE(s->append_readings(old));
    auto rep = s->enforce_retention(3 * 86400000LL);
    ASSERT_TRUE(rep) << rep.error().message;
    auto ru = s->form_rollup_message(100);
    ASSERT_TRUE(ru && *ru);
    EXPECT_EQ(*s->payload(**ru),
              R"({"seq":3,"rollups":[{"meter":"m3","minute":"1970-01-01T00:10:00.000Z","n":60,)"
              R"("p_min_w":100,"p_avg_w":129.5,"p_max_w":159,"e_imp_kwh":20.25},)"
              R"({"meter":"m3","minute":"1970-01-01T00:11:00.000Z","n":30,"p_min_w":160,)"
              R"("p_avg_w":174.5,"p_max_w":189,"e_imp_kwh":27.75}]})");
}

TEST(WireGolden, ChainHead) {
    TempDir dir;
    {
        std::ofstream f(dir / "gateway.key");
        f << "-----BEGIN PRIVATE KEY-----\n"
             "MC4CAQAwBQYDK2VwBCIEIG+OB1pb21+r32EJ4MizbI6Rwjx6NrSOH7+jPcudfiaJ\n"
             "-----END PRIVATE KEY-----\n";
    }
    auto key = chain::SigningKey::load_pem(dir / "gateway.key");
    ASSERT_TRUE(key) << key.error().message;
    chain::Digest head{};
    for (size_t i = 0; i < head.size(); ++i) head[i] = static_cast<uint8_t>(i * 7);
    EXPECT_EQ(
        wire::chain_head_payload(evidence::sign_chain_head(*key, "gw-001", 526330, head, kT)),
        R"({"gateway":"gw-001","n":526330,)"
        R"("head":"00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9",)"
        R"("ts":"2026-11-21T22:00:00.125Z","fingerprint":"dd4a c76b d9cc e8e3 728b 6adc cffc db2e",)"
        R"("public_key":"mY19sJgLw7ll5HiQ/etJTKyxfBVR0/SoOTGohYJgEEc=",)"
        R"("sig":"EZYyu2t0vhcKmxpJpL6JGkO6DQIhOMxXBCNMzTwvy5hjJNBccQAxWBRUQ0WRYFHkmwkSYtov5wazBZ+Y3qLOCw=="})");
}

// Written by hand in daemon/agent.cpp before; the same bytes from wire/status.
TEST(WireGolden, Status) {
    EXPECT_EQ(wire::status_payload({true, kT, "0.1.0", 12}),
              R"({"online":true,"ts":"2026-11-21T22:00:00.125Z","version":"0.1.0","boot":12})");
    EXPECT_EQ(wire::status_payload({false, kT, "0.1.0", 1}),
              R"({"online":false,"ts":"2026-11-21T22:00:00.125Z","version":"0.1.0","boot":1})");
}

// The one change on purpose: the meter id is escaped (it was pasted in raw before).
TEST(WireGolden, HealthLineEscapesTheMeterId) {
    HealthChange h;
    h.meter = "m1";
    h.wall_ms = kT;
    h.health = MeterHealth::offline;
    EXPECT_EQ(wire::health_json(h),
              R"({"meter":"m1","health":"offline","ts":"2026-11-21T22:00:00.125Z"})");
    h.meter = "m\"1\\";
    h.health = MeterHealth::misconfigured;
    EXPECT_EQ(wire::health_json(h),
              R"({"meter":"m\"1\\","health":"misconfigured","ts":"2026-11-21T22:00:00.125Z"})");
}
