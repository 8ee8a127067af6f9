// What `sealwatch-county status`, `gaps` and `alarms` print (county/report.hpp): the state of a
// gateway at the time of reading (online, silent, offline), the contract's JSON fields, CSV
// quoting, and tables that stay within 80 columns with long ids.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "county/report.hpp"
#include "county/table.hpp"

using namespace sealwatch;
using namespace sealwatch::county;

namespace {

constexpr WallMs kNow = 1'795'298'400'000;

GatewaySummary gateway(const std::string& id, std::optional<bool> online, WallMs last) {
    GatewaySummary g;
    g.gw = {"plant-03", id};
    if (online) g.status = StatusRecord{*online, kNow - 600'000, "0.1.0", 2, kNow - 600'000};
    g.last_message = last;
    g.received = 1'000'000'000;
    g.missing = 3;
    g.last_seq = 1'000'000'003;
    g.open_alarms = 1;
    g.chain = ChainState::verified;
    return g;
}

size_t widest_line(const std::string& text) {
    std::istringstream in(text);
    size_t widest = 0;
    for (std::string line; std::getline(in, line);) widest = std::max(widest, line.size());
    return widest;
}

}  // namespace

TEST(CountyReport, StateOnlineSilentOffline) {
    EXPECT_EQ(state_of(gateway("a", true, kNow - 59'000), kNow, 60), GatewayState::online);
    EXPECT_EQ(state_of(gateway("a", true, kNow - 60'000), kNow, 60), GatewayState::silent);
    EXPECT_EQ(state_of(gateway("a", false, kNow - 1'000), kNow, 60), GatewayState::offline);
    // No status at all (never seen one, or lost): judged by what arrives.
    EXPECT_EQ(state_of(gateway("a", std::nullopt, kNow - 1'000), kNow, 60), GatewayState::online);
    EXPECT_EQ(state_of(gateway("a", std::nullopt, 0), kNow, 60), GatewayState::silent);
    EXPECT_EQ(state_of(gateway("a", true, 0), kNow, 60), GatewayState::silent);
}

TEST(CountyReport, StatusJsonHasTheContractFields) {
    auto text = status_report({gateway("gw-001", true, kNow - 5'000)}, kNow, 60, Format::json);
    auto j = nlohmann::json::parse(text);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["gateway"], "gw-001");
    EXPECT_EQ(j[0]["site"], "plant-03");
    EXPECT_EQ(j[0]["state"], "online");
    EXPECT_EQ(j[0]["last_message"], format_rfc3339(kNow - 5'000));
    EXPECT_EQ(j[0]["received"], 1'000'000'000);
    EXPECT_EQ(j[0]["missing"], 3);
    EXPECT_EQ(j[0]["open_alarms"], 1);
    EXPECT_EQ(j[0]["chain"], "verified");
    auto never =
        nlohmann::json::parse(status_report({gateway("gw-002", true, 0)}, kNow, 60, Format::json));
    EXPECT_TRUE(never[0]["last_message"].is_null());
    EXPECT_TRUE(never[0]["last_test_alarm"].is_null());
}

TEST(CountyReport, StatusShowsTheLastTestAlarmApartFromTheAlarms) {
    auto g = gateway("gw-001", true, kNow - 5'000);
    g.last_test_alarm = TestAlarmRecord{"gw-001:test_alarm:furnace-2:1:1",
                                        "furnace-2",
                                        "Wang",
                                        "commissioning",
                                        kNow - 180'000,
                                        kNow - 179'000,
                                        42};
    auto j = nlohmann::json::parse(status_report({g}, kNow, 60, Format::json));
    EXPECT_EQ(j[0]["open_alarms"], 1) << "counted apart";
    const auto& t = j[0]["last_test_alarm"];
    EXPECT_EQ(t["ts"], format_rfc3339(kNow - 180'000));
    EXPECT_EQ(t["received"], format_rfc3339(kNow - 179'000));
    EXPECT_EQ(t["asset"], "furnace-2");
    EXPECT_EQ(t["by"], "Wang");
    EXPECT_EQ(t["note"], "commissioning");
    EXPECT_EQ(t["seq"], 42);
    const auto table = status_report({g}, kNow, 60, Format::table);
    EXPECT_NE(table.find("TEST"), std::string::npos) << table;
    EXPECT_NE(table.find(" 3m\n"), std::string::npos) << table;
    const auto csv = status_report({g}, kNow, 60, Format::csv);
    EXPECT_NE(csv.find(",last_test_alarm\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("," + format_rfc3339(kNow - 180'000) + "\n"), std::string::npos) << csv;
}

TEST(CountyReport, GapsJsonListsInclusiveRangesWithWhenTheyOpened) {
    GatewayGaps g{{"plant-03", "gw-001"}, 20, {{3, 4, kNow - 1000}, {9, 9, kNow - 500}}};
    GatewayGaps whole{{"plant-03", "gw-002"}, 7, {}};
    auto j = nlohmann::json::parse(gaps_report({g, whole}, kNow, Format::json));
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["last_seq"], 20);
    EXPECT_EQ(j[0]["missing"], nlohmann::json::parse("[[3,4],[9,9]]"));
    EXPECT_EQ(j[0]["opened"][1], format_rfc3339(kNow - 500));
    EXPECT_EQ(j[1]["missing"], nlohmann::json::array());
    const auto csv = gaps_report({g, whole}, kNow, Format::csv);
    EXPECT_NE(csv.find("gw-001,plant-03,20,9,9,"), std::string::npos) << csv;
    EXPECT_NE(csv.find("gw-002,plant-03,7,,,\n"), std::string::npos) << csv;
    const auto table = gaps_report({g, whole}, kNow, Format::table);
    EXPECT_NE(table.find("2 gateways, 1 without gaps"), std::string::npos) << table;
}

TEST(CountyReport, AlarmsJsonAndCsvCarryDetailsAndState) {
    AlarmRecord a;
    a.gw = {"plant-03", "gw-001"};
    a.id = "gw-001:reenergized:furnace-2:1";
    a.type = "reenergized";
    a.severity = "critical";
    a.asset = "furnace-2";
    a.meter = "m1";
    a.started = kNow - 60'000;
    a.raised = kNow - 50'000;
    a.received = kNow - 49'000;
    a.details = R"({"peak_w":812000.5,"note":"a, \"quoted\" one"})";
    AlarmRecord closed = a;
    closed.id = "x";
    closed.cleared = kNow - 1000;
    auto j = nlohmann::json::parse(alarms_report({a, closed}, kNow, true, Format::json));
    EXPECT_EQ(j[0]["state"], "raised");
    EXPECT_TRUE(j[0]["cleared"].is_null());
    EXPECT_EQ(j[0]["details"]["peak_w"], 812000.5);
    EXPECT_EQ(j[1]["state"], "cleared");
    EXPECT_EQ(j[1]["cleared"], format_rfc3339(kNow - 1000));
    const auto csv = alarms_report({a}, kNow, false, Format::csv);
    EXPECT_NE(csv.find(R"("{""peak_w"":812000.5,""note"":""a, \""quoted\"" one""}")"),
              std::string::npos)
        << csv;
    EXPECT_EQ(alarms_report({}, kNow, false, Format::table), "no open alarms\n");
}

TEST(CountyReport, TablesStayWithin80ColumnsWithLongIds) {
    const std::string long_id(64, 'g');
    auto g = gateway(long_id, true, kNow - 1000);
    g.gw.site = std::string(64, 's');
    const auto status = status_report({g}, kNow, 60, Format::table);
    EXPECT_LE(widest_line(status), 80u) << status;
    EXPECT_NE(status.find("1000000000"), std::string::npos) << "numbers are never cut";
    EXPECT_NE(status.find('~'), std::string::npos) << "cut ids say so";
    AlarmRecord a;
    a.gw = g.gw;
    a.asset = std::string(64, 'a');
    a.type = "consumption_while_offline";
    a.severity = "critical";
    a.received = kNow;
    EXPECT_LE(widest_line(alarms_report({a}, kNow, true, Format::table)), 80u);
    GatewayGaps gaps{g.gw, 1'000'000'003, {{1, 999'999'999, kNow - 86'400'000 * 3LL}}};
    const auto gap_table = gaps_report({gaps}, kNow, Format::table);
    EXPECT_LE(widest_line(gap_table), 80u) << gap_table;
    EXPECT_NE(gap_table.find("3d"), std::string::npos) << gap_table;
}

TEST(CountyTable, CsvQuotesOnlyWhatNeedsIt) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csv_line({"a", "", "c"}), "a,,c\n");
}
