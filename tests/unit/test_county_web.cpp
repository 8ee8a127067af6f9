// The bureau's web page (county/web/page.hpp) and its password check (county/web/auth.hpp):
// the fleet with the same numbers as `status --json`, open alarms with their age, the timeline
// chart, local times with their offset, nothing loaded from anywhere, everything escaped; the
// power JSON; HTTP Basic against an Argon2id hash, with the pause after a wrong password.
#include <gtest/gtest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "chain/crypto.hpp"
#include "county/report.hpp"
#include "county/web/auth.hpp"
#include "county/web/page.hpp"
#include "support/manual_clock.hpp"

using namespace sealwatch;
using namespace sealwatch::county;
using namespace sealwatch::county::web;

namespace {

constexpr WallMs kNow = 1'795'298'400'000;  // 2026-11-21T22:00:00Z, a minute's start
constexpr int64_t kMinMs = 60'000;
constexpr int64_t kHourMs = 60 * kMinMs;
constexpr int64_t kDayMs = 24 * kHourMs;

GatewaySummary gateway(const std::string& site, const std::string& id, bool online, WallMs last,
                       uint64_t missing, int64_t alarms, ChainState chain) {
    GatewaySummary g;
    g.gw = {site, id};
    g.status = StatusRecord{online, kNow - 600'000, "0.1.0", 2, kNow - 600'000};
    g.last_message = last;
    g.received = 5000 + missing;
    g.missing = missing;
    g.last_seq = 5000 + 2 * missing;
    g.open_alarms = alarms;
    g.chain = chain;
    return g;
}

AlarmRecord alarm(const GatewayRef& gw, const std::string& id, WallMs started,
                  std::optional<WallMs> cleared = std::nullopt) {
    AlarmRecord a;
    a.gw = gw;
    a.id = id;
    a.type = "reenergized";
    a.severity = "critical";
    a.asset = "furnace-2";
    a.meter = "m1";
    a.started = started;
    a.raised = started + 2000;
    a.received = started + 3000;
    a.cleared = cleared;
    a.details = "{}";
    return a;
}

PageData fleet() {
    PageData d;
    d.now = kNow;
    d.silent_after_s = 60;
    d.gateways = {
        gateway("plant-01", "gw-001", true, kNow - 2000, 0, 1, ChainState::verified),
        gateway("plant-01", "gw-002", true, kNow - 300'000, 0, 0, ChainState::broken),
        gateway("plant-11", "gw-007", false, kNow - 3 * kDayMs, 2, 0, ChainState::unverified)};
    d.open_alarms = {alarm(d.gateways[0].gw, "a-1", kNow - 12 * kMinMs)};
    Timeline t{d.gateways[0].gw, kNow - 2 * kHourMs, kNow, {}, {}};
    // m1: two consecutive minutes, a gap, one more; m2 one lone minute, drawing negative power.
    t.power = {{"m1", kNow - 30 * kMinMs, 60, 60 * 800'000.0, 790'000, 812'000},
               {"m1", kNow - 29 * kMinMs, 60, 60 * 805'000.0, 800'000, 809'000},
               {"m1", kNow - 10 * kMinMs, 30, 30 * 100.0, 90, 110},
               {"m2", kNow - 20 * kMinMs, 10, -10 * 50.0, -60, -40}};
    t.alarms = {alarm(t.gw, "a-1", kNow - 12 * kMinMs),
                alarm(t.gw, "a-0", kNow - 40 * kMinMs, kNow - 25 * kMinMs),
                alarm(t.gw, "a-old", kNow - 30 * kHourMs, kNow - 29 * kHourMs)};
    d.timeline = t;
    return d;
}

// The text of the row of gateway `id`.
std::string row_of(const std::string& html, const std::string& id) {
    const auto at = html.find("<tr data-gateway=\"" + id + "\"");
    if (at == std::string::npos) return {};
    return html.substr(at, html.find("</tr>", at) - at);
}

}  // namespace

TEST(CountyWebPage, TheFleetShowsWhatStatusJsonSays) {
    const auto d = fleet();
    const auto html = render_page(d);
    const auto status =
        nlohmann::json::parse(status_report(d.gateways, d.now, d.silent_after_s, Format::json));
    ASSERT_EQ(status.size(), 3u);
    for (const auto& g : status) {
        const auto row = row_of(html, g["gateway"]);
        ASSERT_FALSE(row.empty()) << g;
        const std::string state = g["state"], chain = g["chain"];
        EXPECT_NE(row.find("data-site=\"" + g["site"].get<std::string>() + "\""),
                  std::string::npos);
        EXPECT_NE(row.find(">" + state + "</td>"), std::string::npos) << row;
        EXPECT_NE(row.find(">" + chain + "</td>"), std::string::npos) << row;
        for (const char* n : {"received", "missing", "open_alarms"})
            EXPECT_NE(row.find(n + std::string("\">") + std::to_string(g[n].get<int64_t>()) + "<"),
                      std::string::npos)
                << n << " in " << row;
    }
    EXPECT_NE(row_of(html, "gw-001").find("state online"), std::string::npos);
    EXPECT_NE(row_of(html, "gw-002").find("state silent"), std::string::npos);
    EXPECT_NE(row_of(html, "gw-002").find("chain broken"), std::string::npos);
    EXPECT_NE(row_of(html, "gw-007").find("state offline"), std::string::npos);
    EXPECT_NE(row_of(html, "gw-007").find("n alert missing"), std::string::npos);
    EXPECT_NE(row_of(html, "gw-007").find(">3d ago<"), std::string::npos);
    EXPECT_NE(row_of(html, "gw-001").find("class=\"selected\""), std::string::npos);
}

TEST(CountyWebPage, OpenAlarmsWithTheirAge) {
    const auto html = render_page(fleet());
    const auto at = html.find("<tr data-id=\"a-1\"");
    ASSERT_NE(at, std::string::npos);
    const auto row = html.substr(at, html.find("</tr>", at) - at);
    EXPECT_NE(row.find(">12m<"), std::string::npos) << row;
    EXPECT_NE(row.find("reenergized"), std::string::npos);
    EXPECT_NE(row.find("2026-11-21 21:48:00 +00:00"), std::string::npos) << row;
    auto none = fleet();
    none.open_alarms.clear();
    EXPECT_NE(render_page(none).find("No open alarms."), std::string::npos);
}

TEST(CountyWebPage, TimesAreLocalWithTheirOffset) {
    auto d = fleet();
    EXPECT_NE(render_page(d).find("times in UTC (no time zone configured)"), std::string::npos);
    d.zone = detect::TimeZone::fixed(8 * 3600);
    d.zone_name = "Asia/Shanghai";
    const auto html = render_page(d);
    EXPECT_NE(html.find("times in Asia/Shanghai, +08:00"), std::string::npos);
    EXPECT_NE(html.find("2026-11-22 06:00:00 +08:00"), std::string::npos);  // now
    EXPECT_NE(html.find("2026-11-22 05:48:00 +08:00"), std::string::npos);  // the alarm
    EXPECT_EQ(html.find("+00:00"), std::string::npos);
}

TEST(CountyWebPage, TheChartDrawsEachMeterAndTheAlarmsOfItsWindow) {
    const auto html = render_page(fleet());
    EXPECT_NE(html.find("<svg class=\"chart\""), std::string::npos);
    const auto m1 = html.find("data-meter=\"m1\"");
    ASSERT_NE(m1, std::string::npos);
    const auto d1 = html.substr(m1, html.find("/>", m1) - m1);
    // Two consecutive minutes join, the gap breaks the line: two subpaths.
    EXPECT_EQ(std::count(d1.begin(), d1.end(), 'M'), 2) << d1;
    EXPECT_EQ(std::count(d1.begin(), d1.end(), 'L'), 1) << d1;
    EXPECT_NE(html.find("data-meter=\"m2\""), std::string::npos);
    EXPECT_NE(html.find("rect class=\"alarm critical\" data-id=\"a-1\""), std::string::npos);
    EXPECT_NE(html.find("rect class=\"alarm critical\" data-id=\"a-0\""), std::string::npos);
    EXPECT_EQ(html.find("data-id=\"a-old\""), std::string::npos);  // before the window
    EXPECT_NE(html.find("class=\"zero\""), std::string::npos);     // m2 draws below zero
    EXPECT_EQ(html.find(">-0 kW<"), std::string::npos);
}

TEST(CountyWebPage, LoadsNothingFromAnywhereAndEscapesWhatGatewaysSend) {
    auto d = fleet();
    d.open_alarms[0].asset = "<script>alert(1)</script>";
    d.open_alarms[0].type = "x\" onmouseover=\"y";
    d.timeline->alarms[0].type = "<img src=//evil.example/x>";
    d.timeline->power[0].meter = "m<1>";
    const auto html = render_page(d);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find(" src=\""), std::string::npos);
    EXPECT_EQ(html.find("\" onmouseover"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
    EXPECT_NE(html.find("m&lt;1&gt;"), std::string::npos);
}

TEST(CountyWebPage, AnEmptyFleetStillRenders) {
    PageData d;
    d.now = kNow;
    const auto html = render_page(d);
    EXPECT_NE(html.find("no gateway heard from yet"), std::string::npos);
    EXPECT_EQ(html.find("<svg"), std::string::npos);
    EXPECT_FALSE(default_gateway({}));
}

TEST(CountyWebPage, PowerJsonGivesAveragesPerMinuteAndMeter) {
    const auto t = *fleet().timeline;
    const auto j = nlohmann::json::parse(power_json(t));
    EXPECT_EQ(j["gateway"], "gw-001");
    EXPECT_EQ(j["site"], "plant-01");
    EXPECT_EQ(j["from"], "2026-11-21T20:00:00.000Z");
    EXPECT_EQ(j["to"], "2026-11-21T22:00:00.000Z");
    ASSERT_EQ(j["meters"].size(), 2u);
    EXPECT_EQ(j["meters"][0]["meter"], "m1");
    ASSERT_EQ(j["meters"][0]["minutes"].size(), 3u);
    const auto& first = j["meters"][0]["minutes"][0];
    EXPECT_EQ(first["minute"], "2026-11-21T21:30:00.000Z");
    EXPECT_EQ(first["n"], 60);
    EXPECT_DOUBLE_EQ(first["avg_w"].get<double>(), 800'000.0);
    EXPECT_DOUBLE_EQ(first["min_w"].get<double>(), 790'000.0);
    EXPECT_DOUBLE_EQ(first["max_w"].get<double>(), 812'000.0);
    EXPECT_DOUBLE_EQ(j["meters"][1]["minutes"][0]["avg_w"].get<double>(), -50.0);
}

TEST(CountyWebPage, GatewayKeysAndTheDefaultGateway) {
    EXPECT_EQ(gateway_key({"plant-01", "gw-001"}), "plant-01/gw-001");
    EXPECT_EQ(parse_gateway_key("plant-01/gw-001"), (GatewayRef{"plant-01", "gw-001"}));
    for (const char* bad : {"", "gw-001", "/gw-001", "plant-01/", "a/b/c", "pl ant/gw", "a/<b>"})
        EXPECT_FALSE(parse_gateway_key(bad)) << bad;
    auto d = fleet();
    EXPECT_EQ(default_gateway(d.gateways), d.gateways[0].gw);  // the one with an open alarm
    d.gateways[0].open_alarms = 0;
    EXPECT_EQ(default_gateway(d.gateways), d.gateways[0].gw);  // else the first
    d.gateways[2].open_alarms = 4;
    EXPECT_EQ(default_gateway(d.gateways), d.gateways[2].gw);
}

TEST(CountyWebAuth, WithoutAHashEveryoneIsAdmitted) {
    BasicAuth auth("bureau", "");
    EXPECT_TRUE(auth.open());
    EXPECT_EQ(auth.check(""), BasicAuth::Verdict::ok);
}

TEST(CountyWebAuth, BasicAgainstAnArgon2idHashWithAPauseAfterAWrongOne) {
    const auto hash = hash_password("correct horse battery");
    ASSERT_TRUE(hash);
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
    test_support::ManualClock clock;
    BasicAuth auth("bureau", *hash, clock);
    auto header = [](const std::string& user_and_password) {
        const std::string_view text(user_and_password);
        return "Basic " +
               chain::base64({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    };
    const auto good = header("bureau:correct horse battery");
    using std::chrono::milliseconds;
    EXPECT_EQ(auth.check(""), BasicAuth::Verdict::wrong);  // no header: asked for one
    EXPECT_EQ(auth.check(good), BasicAuth::Verdict::ok);
    EXPECT_EQ(auth.check(header("bureau:correct horse batterY")), BasicAuth::Verdict::wrong);
    // Within a second of a failure, unknown headers are not even checked; a known good one is.
    clock.advance(milliseconds(999));
    EXPECT_EQ(auth.check(header("bureau:guess")), BasicAuth::Verdict::busy);
    EXPECT_EQ(auth.check(good), BasicAuth::Verdict::ok);
    clock.advance(milliseconds(1));
    EXPECT_EQ(auth.check(header("li:correct horse battery")),
              BasicAuth::Verdict::wrong);  // another user
    clock.advance(milliseconds(1000));
    EXPECT_EQ(auth.check("Bearer abc"), BasicAuth::Verdict::wrong);
    clock.advance(milliseconds(1000));
    EXPECT_EQ(auth.check("Basic !!!"), BasicAuth::Verdict::wrong);
    BasicAuth fresh("bureau", *hash);
    EXPECT_EQ(fresh.check(good), BasicAuth::Verdict::ok);
}
