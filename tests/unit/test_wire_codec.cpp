// The wire contract both ways: what the gateway writes, the county office's parser reads back
// identically; hostile payloads (truncated, wrong types, huge numbers, deep nesting, oversized)
// are refused with a reason, never a throw or a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "chain/chain.hpp"
#include "chain/crypto.hpp"
#include "common/quantities.hpp"
#include "test_support.hpp"
#include "wire/chain_head.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"

using namespace sealwatch;
using sealwatch::test_support::q;

namespace {

constexpr WallMs kT = 1795298400125;

// Values compare as the wire means them: NaN (sent as null) equals NaN.
bool same_value(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

void expect_same(const Reading& a, const Reading& b) {
    EXPECT_EQ(a.meter, b.meter);
    EXPECT_EQ(a.wall_ms, b.wall_ms);
    EXPECT_EQ(a.serial, b.serial);
    EXPECT_EQ(a.clock_unsynced, b.clock_unsynced);
    ASSERT_EQ(a.values.size(), b.values.size());
    for (size_t i = 0; i < a.values.size(); ++i) {
        EXPECT_EQ(a.values[i].quantity, b.values[i].quantity);
        EXPECT_TRUE(same_value(a.values[i].value, b.values[i].value))
            << a.values[i].value << " vs " << b.values[i].value;
    }
}

std::vector<Reading> awkward_readings() {
    std::vector<Reading> out;
    Reading r;
    r.meter = "m1";
    r.wall_ms = kT;
    r.serial = "630001";
    // Every quantity, with values whose shortest text is long or unusual; NaN goes as null.
    const double awkward[] = {230.1,
                              static_cast<double>(230.1f),
                              -0.98,
                              0.0,
                              -0.0,
                              1e21,
                              std::numeric_limits<double>::quiet_NaN(),
                              5e-324,
                              std::numeric_limits<double>::max(),
                              0.1 + 0.2,
                              -1e-7,
                              123456789012345678.0,
                              1.0 / 3.0};
    for (size_t i = 0; i < kQuantities.size(); ++i)
        r.values.push_back({static_cast<uint8_t>(i), awkward[i % std::size(awkward)]});
    out.push_back(r);
    Reading e;  // no values, no serial, a meter id that needs escaping, the epoch
    e.meter = "m\"\\\n\x01\xe7\x82\x89";
    e.wall_ms = 0;
    out.push_back(e);
    Reading s;
    s.meter = "m2";
    s.wall_ms = kT + 999;
    s.serial = "";  // read, and empty
    s.values = {{q("e_imp_kwh"), 182340.51}};
    s.clock_unsynced = true;  // polled while the gateway's clock was not synchronised
    out.push_back(s);
    return out;
}

std::string awkward_telemetry() {
    wire::TelemetryWriter w(41);
    for (const auto& r : awkward_readings()) w.add(r);
    return w.finish();
}

Event awkward_event() {
    Event e;
    e.id = "gw-001:reverse_energy:furnace-2:1795298400000";
    e.type = "reverse_energy";
    e.state = EventState::cleared;
    e.severity = Severity::minor;
    e.asset = "furnace-2";
    e.meter = "";
    e.ts = kT;
    e.started = kT - 3600000;
    e.details["exp_kwh"] = 0.25;
    e.details["count"] = 3;
    e.details["negative"] = -4;
    e.details["who"] = "inspector \"Li\"";
    e.details["nested"] = {{"a", {1, 2.5, nullptr, true}}, {"b", nlohmann::ordered_json::object()}};
    return e;
}

}  // namespace

TEST(WireCodec, TelemetryRoundTrips) {
    auto readings = awkward_readings();
    auto text = awkward_telemetry();
    auto t = wire::parse_telemetry(text);
    ASSERT_TRUE(t) << t.error().message << "\n" << text;
    EXPECT_EQ(t->seq, 41u);
    EXPECT_TRUE(t->rollups.empty());
    ASSERT_EQ(t->readings.size(), readings.size());
    for (size_t i = 0; i < readings.size(); ++i) expect_same(t->readings[i], readings[i]);
}

// Contract: "clock_unsynced":true when the wall clock was not synchronised at the poll, and no
// member at all otherwise (not false); a county office reads both back as they were.
TEST(WireCodec, ClockUnsyncedIsSentOnlyWhenTrueAndRoundTrips) {
    auto readings = awkward_readings();
    auto text = awkward_telemetry();
    EXPECT_EQ(text.find("\"clock_unsynced\":false"), std::string::npos) << text;
    const std::string_view member = "\"clock_unsynced\":true";
    const auto at = text.find(member);
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_EQ(text.find("clock_unsynced", at + member.size()), std::string::npos)
        << "only m2's: " << text;
    EXPECT_GT(at, text.find("\"meter\":\"m2\""));
    auto t = wire::parse_telemetry(text);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->readings.size(), 3u);
    EXPECT_FALSE(t->readings[0].clock_unsynced);
    EXPECT_FALSE(t->readings[1].clock_unsynced);
    EXPECT_TRUE(t->readings[2].clock_unsynced);
    // Not a boolean: refused with the member named, not taken as either state.
    auto bad = wire::parse_telemetry(
        R"({"seq":5,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00Z","values":{},"clock_unsynced":1}]})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("clock_unsynced"), std::string::npos) << bad.error().message;
}

TEST(WireCodec, EmptyTelemetryBatchRoundTrips) {
    auto t = wire::parse_telemetry(wire::TelemetryWriter(7).finish());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->seq, 7u);
    EXPECT_TRUE(t->readings.empty());
}

TEST(WireCodec, RollupsRoundTrip) {
    wire::Rollup a{"m1", 60000 * 29921638LL, 60, 150.0, 171.3, 812000.5, 182341.2, 0.0};
    wire::Rollup b{"m2", 60000, 1, std::nullopt, std::nullopt, std::nullopt, 5.5, std::nullopt};
    wire::RollupWriter w(97);
    w.add(a);
    w.add(b);
    auto t = wire::parse_telemetry(w.finish());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->seq, 97u);
    ASSERT_EQ(t->rollups.size(), 2u);
    for (auto [got, want] : {std::pair{t->rollups[0], a}, {t->rollups[1], b}}) {
        EXPECT_EQ(got.meter, want.meter);
        EXPECT_EQ(got.minute, want.minute);
        EXPECT_EQ(got.n, want.n);
        EXPECT_EQ(got.p_min_w, want.p_min_w);
        EXPECT_EQ(got.p_avg_w, want.p_avg_w);
        EXPECT_EQ(got.p_max_w, want.p_max_w);
        EXPECT_EQ(got.e_imp_kwh, want.e_imp_kwh);
        EXPECT_EQ(got.e_exp_kwh, want.e_exp_kwh);
    }
}

TEST(WireCodec, EventMessageRoundTripsFromTheStoredBody) {
    auto e = awkward_event();
    auto body = wire::event_json(e).dump();  // what the store keeps and the chain hashes
    auto text = wire::event_message(42, body);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, wire::event_json(e, 42).dump());  // seq first, the rest as stored
    auto m = wire::parse_event_message(*text);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->seq, 42u);
    EXPECT_EQ(wire::event_json(m->event).dump(), body);  // every field, details included
    EXPECT_EQ(m->event.id, e.id);
    EXPECT_EQ(m->event.state, e.state);
    EXPECT_EQ(m->event.severity, e.severity);
    EXPECT_EQ(m->event.ts, e.ts);
    EXPECT_EQ(m->event.started, e.started);
    EXPECT_EQ(m->event.details, e.details);
    EXPECT_FALSE(wire::event_message(1, "[]"));
    EXPECT_FALSE(wire::event_message(1, ""));
}

TEST(WireCodec, StatusRoundTrips) {
    for (const wire::Status& s :
         {wire::Status{true, kT, "0.1.0", 12}, wire::Status{false, 0, "1.2.3-rc\"1", 1}}) {
        auto got = wire::parse_status(wire::status_payload(s));
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_EQ(got->online, s.online);
        EXPECT_EQ(got->ts, s.ts);
        EXPECT_EQ(got->version, s.version);
        EXPECT_EQ(got->boot, s.boot);
    }
}

TEST(WireCodec, ChainHeadRoundTripsAndItsSignatureChecks) {
    auto key = chain::SigningKey::generate();
    ASSERT_TRUE(key);
    wire::ChainHead h;
    h.gateway = "gw-001";
    h.n = 526330;
    for (size_t i = 0; i < h.head.size(); ++i) h.head[i] = static_cast<uint8_t>(255 - i);
    h.ts = format_rfc3339(kT);
    h.public_key = key->public_key();
    h.fingerprint = chain::fingerprint(h.public_key);
    h.sig = *key->sign(chain::head_statement(h.gateway, h.n, h.head, h.ts));
    auto got = wire::parse_chain_head(wire::chain_head_payload(h));
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->gateway, h.gateway);
    EXPECT_EQ(got->n, h.n);
    EXPECT_EQ(got->head, h.head);
    EXPECT_EQ(got->ts, h.ts);
    EXPECT_EQ(got->fingerprint, h.fingerprint);
    EXPECT_EQ(got->public_key, h.public_key);
    ASSERT_TRUE(got->sig);
    EXPECT_TRUE(chain::verify_signature(
        got->public_key, chain::head_statement(got->gateway, got->n, got->head, got->ts),
        *got->sig));
    // A head the gateway could not sign goes out with "sig":"" and reads back unsigned.
    h.sig.reset();
    auto unsigned_head = wire::parse_chain_head(wire::chain_head_payload(h));
    ASSERT_TRUE(unsigned_head) << unsigned_head.error().message;
    EXPECT_FALSE(unsigned_head->sig);
}

TEST(WireCodec, TruncatedPayloadsAreRefused) {
    std::vector<std::string> good = {awkward_telemetry()};
    good.push_back(*wire::event_message(42, wire::event_json(awkward_event()).dump()));
    good.push_back(wire::status_payload({true, kT, "0.1.0", 12}));
    for (const auto& text : good) {
        for (size_t n = 0; n < text.size(); ++n) {
            auto cut = std::string_view(text).substr(0, n);
            EXPECT_FALSE(wire::parse_telemetry(cut)) << cut;
            EXPECT_FALSE(wire::parse_event_message(cut)) << cut;
            EXPECT_FALSE(wire::parse_status(cut)) << cut;
            EXPECT_FALSE(wire::parse_chain_head(cut)) << cut;
        }
    }
}

TEST(WireCodec, WrongTypesAndMissingFieldsAreRefusedWithTheFieldNamed) {
    auto refuses = [](auto parse, const std::string& text, const std::string& field) {
        auto r = parse(text);
        ASSERT_FALSE(r) << text;
        EXPECT_NE(r.error().message.find(field), std::string::npos)
            << text << " -> " << r.error().message;
    };
    auto tel = [](const std::string& t) { return wire::parse_telemetry(t); };
    refuses(tel, R"({"readings":[]})", "seq");
    refuses(tel, R"({"seq":"41","readings":[]})", "seq");
    refuses(tel, R"({"seq":41.5,"readings":[]})", "seq");
    refuses(tel, R"({"seq":0,"readings":[]})", "seq");
    refuses(tel, R"({"seq":-1,"readings":[]})", "seq");
    refuses(tel, R"({"seq":1})", "readings");
    refuses(tel, R"({"seq":1,"readings":[],"rollups":[]})", "readings");
    refuses(tel, R"({"seq":1,"readings":{}})", "readings");
    refuses(tel, R"({"seq":1,"readings":[1]})", "readings[0]");
    refuses(tel, R"({"seq":1,"readings":[{"ts":"2026-11-21T22:00:00Z","values":{}}]})", "meter");
    refuses(tel, R"({"seq":1,"readings":[{"meter":7,"ts":"2026-11-21T22:00:00Z","values":{}}]})",
            "meter");
    refuses(tel, R"({"seq":1,"readings":[{"meter":"","ts":"2026-11-21T22:00:00Z","values":{}}]})",
            "meter");
    refuses(tel, R"({"seq":1,"readings":[{"meter":"m1","ts":"yesterday","values":{}}]})", "ts");
    refuses(tel, R"({"seq":1,"readings":[{"meter":"m1","ts":1795298400,"values":{}}]})", "ts");
    refuses(tel, R"({"seq":1,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00Z","values":[]}]})",
            "values");
    refuses(
        tel,
        R"({"seq":1,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00Z","values":{"p_w":"1"}}]})",
        "p_w");
    refuses(
        tel,
        R"({"seq":1,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00Z","values":{},"serial":5}]})",
        "serial");
    refuses(tel, R"({"seq":1,"rollups":[{"meter":"m1","minute":"2026-11-21T22:00:00Z","n":0}]})",
            "n");
    refuses(
        tel,
        R"({"seq":1,"rollups":[{"meter":"m1","minute":"2026-11-21T22:00:00Z","n":1,"p_avg_w":true}]})",
        "p_avg_w");

    auto ev = [](const std::string& t) { return wire::parse_event_message(t); };
    const std::string ok_event =
        R"("id":"x","type":"t","state":"raised","severity":"major","ts":"2026-11-21T22:00:00Z","started":"2026-11-21T22:00:00Z")";
    ASSERT_TRUE(ev("{\"seq\":1," + ok_event + "}"));
    refuses(ev, "{" + ok_event + "}", "seq");
    refuses(
        ev,
        R"({"seq":1,"id":"x","type":"t","state":"open","severity":"major","ts":"2026-11-21T22:00:00Z","started":"2026-11-21T22:00:00Z"})",
        "state");
    refuses(
        ev,
        R"({"seq":1,"id":"x","type":"t","state":"raised","severity":"high","ts":"2026-11-21T22:00:00Z","started":"2026-11-21T22:00:00Z"})",
        "severity");
    refuses(ev, "{\"seq\":1," + ok_event + ",\"details\":[1]}", "details");
    refuses(ev, "{\"seq\":1," + ok_event + ",\"asset\":null}", "asset");
    refuses(
        ev,
        R"({"seq":1,"type":"t","state":"raised","severity":"major","ts":"2026-11-21T22:00:00Z","started":"2026-11-21T22:00:00Z"})",
        "id");

    auto st = [](const std::string& t) { return wire::parse_status(t); };
    refuses(st, R"({"online":"true","ts":"2026-11-21T22:00:00Z","version":"0.1.0","boot":1})",
            "online");
    refuses(st, R"({"online":1,"ts":"2026-11-21T22:00:00Z","version":"0.1.0","boot":1})", "online");
    refuses(st, R"({"online":true,"ts":"2026-11-21T22:00:00Z","version":"0.1.0"})", "boot");

    auto head = [](const std::string& t) { return wire::parse_chain_head(t); };
    const std::string key = chain::base64(chain::PublicKey{});
    const std::string hex64(64, 'a');
    auto head_with = [&](const std::string& h, const std::string& k, const std::string& sig) {
        return R"({"gateway":"gw","n":1,"head":")" + h +
               R"(","ts":"2026-11-21T22:00:00Z","fingerprint":"f","public_key":")" + k +
               R"(","sig":")" + sig + R"("})";
    };
    ASSERT_TRUE(head(head_with(hex64, key, "")));
    refuses(head, head_with(hex64.substr(1), key, ""), "head");
    refuses(head, head_with(std::string(64, 'g'), key, ""), "head");
    refuses(head, head_with(hex64, key.substr(4), ""), "public_key");
    refuses(head, head_with(hex64, key, "AAAA"), "sig");
}

TEST(WireCodec, HugeNumbersAreRefusedNotWrapped) {
    auto tel = [](const std::string& seq) {
        return wire::parse_telemetry(R"({"seq":)" + seq + R"(,"readings":[]})");
    };
    EXPECT_TRUE(tel("9223372036854775807"));
    EXPECT_FALSE(tel("9223372036854775808"));   // past int64: the county's ledger cannot hold it
    EXPECT_FALSE(tel("18446744073709551616"));  // past uint64
    EXPECT_FALSE(tel("1e400"));
    EXPECT_FALSE(tel("1e30"));
    EXPECT_FALSE(tel("-9223372036854775809"));
    // A value too large for a double is not JSON a gateway writes (non-finite goes as null).
    EXPECT_FALSE(wire::parse_telemetry(
        R"({"seq":1,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00Z","values":{"p_w":1e999}}]})"));
    EXPECT_FALSE(wire::parse_status(
        R"({"online":true,"ts":"2026-11-21T22:00:00Z","version":"0.1.0","boot":1e99})"));
    EXPECT_FALSE(wire::parse_chain_head(
        R"({"gateway":"gw","n":99999999999999999999,"head":"","ts":"","fingerprint":"","public_key":"","sig":""})"));
    // A time far outside the calendar.
    EXPECT_FALSE(wire::parse_telemetry(
        R"({"seq":1,"readings":[{"meter":"m1","ts":"99999999-01-01T00:00:00Z","values":{}}]})"));
}

TEST(WireCodec, DeepNestingAndOversizeAreRefusedBeforeParsing) {
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    auto r = wire::parse_telemetry(R"({"seq":1,"readings":)" + deep + "}");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("nested"), std::string::npos) << r.error().message;
    const std::string deep_details =
        "{\"seq\":1,\"details\":" + std::string(100, '{') + std::string(100, '}') + "}";
    EXPECT_FALSE(wire::parse_event_message(deep_details));
    // Brackets inside strings are text, not nesting.
    std::string quoted = R"({"seq":1,"readings":[{"meter":")" + std::string(1000, '[') +
                         R"(\"]","ts":"2026-11-21T22:00:00Z","values":{}}]})";
    wire::Limits wide;
    wide.max_text = 4096;
    auto q2 = wire::parse_telemetry(quoted, wide);
    ASSERT_TRUE(q2) << q2.error().message;
    EXPECT_EQ(q2->readings[0].meter, std::string(1000, '[') + "\"]");

    wire::Limits small;
    small.max_bytes = 100;
    auto o = wire::parse_telemetry(awkward_telemetry(), small);
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("bytes"), std::string::npos);
    small = {};
    small.max_items = 2;  // the message holds three
    EXPECT_FALSE(wire::parse_telemetry(awkward_telemetry(), small));
    // A string longer than max_text (an id no gateway writes) is refused, not copied.
    auto long_id = R"({"seq":1,"readings":[{"meter":")" + std::string(5000, 'm') +
                   R"(","ts":"2026-11-21T22:00:00Z","values":{}}]})";
    EXPECT_FALSE(wire::parse_telemetry(long_id));
}

TEST(WireCodec, GarbageIsRefusedWithoutThrowing) {
    for (const std::string& g :
         {std::string(), std::string("null"), std::string("[]"), std::string("42"),
          std::string("\"seq\""), std::string("{"), std::string("}"),
          std::string("{\"seq\":1,\"readings\":[}"), std::string("\xff\xfe{}"),
          std::string("{\"seq\":1,\"readings\":[]}\0trailing", 32),
          std::string("{\"seq\":1,\"seq\":2,\"readings\":[]}x")}) {
        EXPECT_NO_THROW({
            EXPECT_FALSE(wire::parse_telemetry(g)) << g;
            EXPECT_FALSE(wire::parse_event_message(g)) << g;
            EXPECT_FALSE(wire::parse_status(g)) << g;
            EXPECT_FALSE(wire::parse_chain_head(g)) << g;
        });
    }
}

TEST(WireCodec, UnknownQuantitiesAndExtraFieldsAreSkippedForNewerGateways) {
    auto t = wire::parse_telemetry(
        R"({"seq":5,"readings":[{"meter":"m1","ts":"2026-11-21T22:00:00Z","values":{"p_w":1,"x_new_unit":2},"clock_unsynced":true}],"extra":{}})");
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->readings[0].values.size(), 1u);
    EXPECT_EQ(t->readings[0].values[0].quantity, q("p_w"));
}
