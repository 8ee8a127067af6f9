#include "county/report.hpp"

#include <nlohmann/json.hpp>

#include "county/table.hpp"

namespace sealwatch::county {

namespace {

using json = nlohmann::ordered_json;
using Align = TextTable::Align;

// RFC 3339, or null for "never".
json time_json(WallMs t) {
    return t == 0 ? json(nullptr) : json(format_rfc3339(t));
}

std::string time_csv(WallMs t) {
    return t == 0 ? std::string() : format_rfc3339(t);
}

std::string json_text(const json& j) {
    return j.dump(2) + "\n";
}

json test_alarm_json(const std::optional<TestAlarmRecord>& t) {
    if (!t) return nullptr;
    return {{"ts", time_json(t->ts)},
            {"received", time_json(t->received)},
            {"asset", t->asset},
            {"by", t->by},
            {"note", t->note},
            {"seq", t->seq},
            {"id", t->id}};
}

WallMs test_alarm_ts(const std::optional<TestAlarmRecord>& t) {
    return t ? t->ts : 0;
}

const char* alarm_state(const AlarmRecord& a) {
    return a.open() ? "raised" : "cleared";
}

}  // namespace

std::string age_text(WallMs t, WallMs now) {
    if (t == 0) return "never";
    const int64_t s = std::max<int64_t>(0, (now - t) / 1000);
    if (s < 120) return std::to_string(s) + "s";
    if (s < int64_t{2} * 3600) return std::to_string(s / 60) + "m";
    if (s < int64_t{2} * 86400) return std::to_string(s / 3600) + "h";
    return std::to_string(s / 86400) + "d";
}

const char* to_string(GatewayState state) {
    switch (state) {
        case GatewayState::online:
            return "online";
        case GatewayState::silent:
            return "silent";
        case GatewayState::offline:
            break;
    }
    return "offline";
}

GatewayState state_of(const GatewaySummary& gw, WallMs now, int silent_after_s) {
    if (gw.status && !gw.status->online) return GatewayState::offline;
    const bool heard =
        gw.last_message != 0 && now - gw.last_message < int64_t{silent_after_s} * 1000;
    return heard ? GatewayState::online : GatewayState::silent;
}

std::string status_report(const std::vector<GatewaySummary>& gateways, WallMs now,
                          int silent_after_s, Format format) {
    if (format == Format::json) {
        json out = json::array();
        for (const auto& g : gateways)
            out.push_back({{"gateway", g.gw.gateway},
                           {"site", g.gw.site},
                           {"state", to_string(state_of(g, now, silent_after_s))},
                           {"last_message", time_json(g.last_message)},
                           {"received", g.received},
                           {"missing", g.missing},
                           {"open_alarms", g.open_alarms},
                           {"chain", to_string(g.chain)},
                           {"last_test_alarm", test_alarm_json(g.last_test_alarm)}});
        return json_text(out);
    }
    if (format == Format::csv) {
        std::string out = csv_line({"gateway", "site", "state", "last_message", "received",
                                    "missing", "open_alarms", "chain", "last_test_alarm"});
        for (const auto& g : gateways)
            out += csv_line({g.gw.gateway, g.gw.site, to_string(state_of(g, now, silent_after_s)),
                             time_csv(g.last_message), std::to_string(g.received),
                             std::to_string(g.missing), std::to_string(g.open_alarms),
                             to_string(g.chain), time_csv(test_alarm_ts(g.last_test_alarm))});
        return out;
    }
    if (gateways.empty()) return "no gateway heard from yet\n";
    TextTable t({{"GATEWAY", Align::left, true},
                 {"SITE", Align::left, true},
                 {"STATE", Align::left, false},
                 {"LAST", Align::right, false},
                 {"RECEIVED", Align::right, false},
                 {"MISSING", Align::right, false},
                 {"ALARMS", Align::right, false},
                 {"CHAIN", Align::left, false},
                 {"TEST", Align::right, false}});
    for (const auto& g : gateways)
        t.add({g.gw.gateway, g.gw.site, to_string(state_of(g, now, silent_after_s)),
               age_text(g.last_message, now), std::to_string(g.received), std::to_string(g.missing),
               std::to_string(g.open_alarms), to_string(g.chain),
               age_text(test_alarm_ts(g.last_test_alarm), now)});
    return t.render();
}

std::string gaps_report(const std::vector<GatewayGaps>& gaps, WallMs now, Format format) {
    if (format == Format::json) {
        json out = json::array();
        for (const auto& g : gaps) {
            json missing = json::array(), opened = json::array();
            for (const auto& gap : g.gaps) {
                missing.push_back({gap.first, gap.last});
                opened.push_back(time_json(gap.opened));
            }
            out.push_back({{"gateway", g.gw.gateway},
                           {"site", g.gw.site},
                           {"last_seq", g.last_seq},
                           {"missing", missing},
                           {"opened", opened}});
        }
        return json_text(out);
    }
    if (format == Format::csv) {
        // One row per missing range; a gateway without any has one row with them empty.
        std::string out = csv_line({"gateway", "site", "last_seq", "first", "last", "opened"});
        for (const auto& g : gaps) {
            if (g.gaps.empty())
                out += csv_line({g.gw.gateway, g.gw.site, std::to_string(g.last_seq), "", "", ""});
            for (const auto& gap : g.gaps)
                out += csv_line({g.gw.gateway, g.gw.site, std::to_string(g.last_seq),
                                 std::to_string(gap.first), std::to_string(gap.last),
                                 time_csv(gap.opened)});
        }
        return out;
    }
    TextTable t({{"GATEWAY", Align::left, true},
                 {"SITE", Align::left, true},
                 {"LAST SEQ", Align::right, false},
                 {"FIRST", Align::right, false},
                 {"LAST", Align::right, false},
                 {"COUNT", Align::right, false},
                 {"OPEN FOR", Align::right, false}});
    size_t whole = 0;
    for (const auto& g : gaps) {
        if (g.gaps.empty()) ++whole;
        for (const auto& gap : g.gaps)
            t.add({g.gw.gateway, g.gw.site, std::to_string(g.last_seq), std::to_string(gap.first),
                   std::to_string(gap.last), std::to_string(gap.last - gap.first + 1),
                   age_text(gap.opened, now)});
    }
    std::string out = t.empty() ? std::string() : t.render();
    out += std::to_string(gaps.size()) + (gaps.size() == 1 ? " gateway, " : " gateways, ") +
           std::to_string(whole) + " without gaps\n";
    return out;
}

std::string alarms_report(const std::vector<AlarmRecord>& alarms, WallMs now, bool all,
                          Format format) {
    if (format == Format::json) {
        json out = json::array();
        for (const auto& a : alarms) {
            json details = json::parse(a.details, nullptr, false);
            if (details.is_discarded()) details = json::object();
            out.push_back({{"gateway", a.gw.gateway},
                           {"site", a.gw.site},
                           {"id", a.id},
                           {"type", a.type},
                           {"state", alarm_state(a)},
                           {"severity", a.severity},
                           {"asset", a.asset},
                           {"meter", a.meter},
                           {"started", time_json(a.started)},
                           {"raised", time_json(a.raised)},
                           {"cleared", a.cleared ? time_json(*a.cleared) : json(nullptr)},
                           {"received", time_json(a.received)},
                           {"details", details}});
        }
        return json_text(out);
    }
    if (format == Format::csv) {
        std::string out =
            csv_line({"gateway", "site", "id", "type", "state", "severity", "asset", "meter",
                      "started", "raised", "cleared", "received", "details"});
        for (const auto& a : alarms)
            out +=
                csv_line({a.gw.gateway, a.gw.site, a.id, a.type, alarm_state(a), a.severity,
                          a.asset, a.meter, time_csv(a.started), time_csv(a.raised),
                          a.cleared ? time_csv(*a.cleared) : "", time_csv(a.received), a.details});
        return out;
    }
    if (alarms.empty()) return all ? "no alarms\n" : "no open alarms\n";
    std::vector<TextTable::Column> columns{{"GATEWAY", Align::left, true},
                                           {"ASSET", Align::left, true},
                                           {"TYPE", Align::left, true},
                                           {"SEVERITY", Align::left, false},
                                           {"SINCE", Align::right, false}};
    if (all) columns.push_back({"STATE", Align::left, false});
    TextTable t(std::move(columns));
    for (const auto& a : alarms) {
        std::vector<std::string> row{a.gw.gateway, a.asset.empty() ? "-" : a.asset, a.type,
                                     a.severity,
                                     age_text(a.started != 0 ? a.started : a.received, now)};
        if (all) row.emplace_back(alarm_state(a));
        t.add(std::move(row));
    }
    return t.render();
}

}  // namespace sealwatch::county
