#include "cli/status.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/status_view.hpp"
#include "common/clock.hpp"
#include "config/config.hpp"
#include "detect/timezone.hpp"
#include "model/event.hpp"
#include "store/store.hpp"
#include "wire/event.hpp"

namespace sealwatch::cli {

namespace {

std::string age(WallMs then, WallMs now) {
    if (then <= 0) return "never";
    int64_t s = (now - then) / 1000;
    if (s < 0) return "in the future";
    char buf[32];
    if (s < 120) {
        std::snprintf(buf, sizeof buf, "%llds ago", static_cast<long long>(s));
    } else if (s < 7200) {
        std::snprintf(buf, sizeof buf, "%lldm ago", static_cast<long long>(s / 60));
    } else if (s < 172800) {
        std::snprintf(buf, sizeof buf, "%lldh ago", static_cast<long long>(s / 3600));
    } else {
        std::snprintf(buf, sizeof buf, "%lldd ago", static_cast<long long>(s / 86400));
    }
    return buf;
}

std::string watts(std::optional<double> w) {
    if (!w) return "-";
    char buf[32];
    double a = *w < 0 ? -*w : *w;
    if (a >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2f MW", *w / 1e6);
    } else if (a >= 1e3) {
        std::snprintf(buf, sizeof buf, "%.1f kW", *w / 1e3);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f W", *w);
    }
    return buf;
}

// At most n bytes, "~" marking a cut; never inside a UTF-8 sequence (names and notes are
// often Chinese), so the terminal gets whole characters.
std::string cut(const std::string& s, size_t n) {
    if (s.size() <= n) return s;
    size_t end = n - 1;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end) + "~";
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

// For people: the gateway's local time with its offset ("2026-11-22 06:00:00 +08:00"), or in
// the narrow table columns to the minute without it ("2026-11-22 06:00"; the header gives it).
std::string local(WallMs t, const detect::TimeZone& tz, bool full = false) {
    std::string s = format_local(t, tz.offset_s(t));
    return full ? s : s.substr(0, 16);
}

void print_text(const StatusView& v, const detect::TimeZone& tz) {
    std::cout << "gateway " << v.gateway << " at " << v.site << '\n'
              << "now " << local(v.now, tz, true) << " (" << v.timezone
              << "); times below are local\n";
    if (v.clock_synced) {
        std::cout << "clock: " << (*v.clock_synced ? "synchronised" : "NOT synchronised");
        // Local minutes like the tables, so that the line fits 80 columns.
        if (v.clock_since) std::cout << " since " << local(v.clock_since, tz);
        std::cout << " (as of " << v.clock_checked << ")\n";
        if (!*v.clock_synced)
            std::cout << "       readings are marked clock_unsynced until it is\n";
    }
    std::cout << '\n';

    std::cout << "METER            HEALTH         SINCE          LAST READING   SERIAL\n";
    for (const auto& m : v.meters) {
        char line[160];
        std::snprintf(line, sizeof line, "%-16s %-14s %-14s %-14s %s", cut(m.id, 16).c_str(),
                      m.health.c_str(), m.health_since ? age(m.health_since, v.now).c_str() : "-",
                      age(m.last_reading, v.now).c_str(), cut(m.serial, 14).c_str());
        std::cout << line << '\n';
    }

    std::cout << "\nASSET            STATE        POWER        STANDBY      METERS\n";
    for (const auto& a : v.assets) {
        char line[160];
        std::snprintf(line, sizeof line, "%-16s %-12s %-12s %-12s %s", cut(a.id, 16).c_str(),
                      (a.state + (a.state_from_command ? "*" : "")).c_str(),
                      watts(a.power_w).c_str(), watts(a.standby_w).c_str(),
                      cut(joined(a.meters), 20).c_str());
        std::cout << line << '\n';
    }

    std::cout << "\nOPEN ALARMS: " << v.open_alarms.size() << '\n';
    for (const auto& e : v.open_alarms) {
        char line[160];
        std::snprintf(line, sizeof line, "  %-8s %-24s %-16s since %s",
                      std::string(to_string(e.severity)).c_str(), cut(e.type, 24).c_str(),
                      cut(e.asset.empty() ? e.meter : e.asset, 16).c_str(),
                      local(e.started, tz).c_str());
        std::cout << line << '\n';
    }

    if (!v.overrides.empty()) {
        std::cout << "* state set by sealwatch asset set-state (overrides the config):\n";
        for (const auto& r : v.overrides) {
            char line[200];
            std::snprintf(line, sizeof line, "  %-16s %-11s %s by %s", cut(r.asset, 16).c_str(),
                          r.state.c_str(), local(r.since_ms, tz).c_str(), cut(r.by, 28).c_str());
            std::cout << line << '\n';
            if (!r.note.empty()) std::cout << "    note: " << cut(r.note, 70) << '\n';
        }
    }
    if (v.pending_state_commands > 0)
        std::cout << "  " << v.pending_state_commands
                  << " set-state command(s) waiting for the agent to apply them\n";

    std::cout << "\nEVIDENCE\n";
    if (!v.key_fingerprint.empty())
        std::cout << "  key fingerprint: " << v.key_fingerprint << '\n';
    else
        std::cout << "  key: none yet (" << v.key_path << "; sealwatchd --init-key)\n";
    if (v.chain_entries)
        std::cout << "  chain: " << *v.chain_entries << " entries, last "
                  << local(v.chain_last, tz, true) << "\n  head:  " << v.chain_head << '\n';
    else
        std::cout << "  chain: empty\n";

    std::cout << "\nUPLINK " << v.uplink_host << ":" << v.uplink_port << '\n';
    if (v.backlog)
        std::cout << "  waiting to be sent: " << v.backlog->unsent_readings << " reading(s), "
                  << v.backlog->unsent_events << " event(s), " << v.backlog->unsent_rollups
                  << " rollup(s)\n"
                  << "  sent, awaiting acknowledgement: " << v.backlog->unacked_messages
                  << " message(s); next seq " << v.backlog->next_seq << '\n';
    if (v.database_bytes) {
        constexpr int64_t kMiB = int64_t{1024} * 1024;
        std::cout << "  database: " << (*v.database_bytes + kMiB / 2) / kMiB << " MiB of "
                  << v.budget_mb << " MiB budget\n";
    }

    if (v.storage_note && v.storage_note->state == "full")
        std::cout << "\nSTORAGE FULL since " << local(v.storage_note->since, tz, true)
                  << ": readings and events wait in the agent's memory\n  "
                  << cut(v.storage_note->message, 200) << '\n';
    if (v.database_replaced) {
        const auto& d = v.database_replaced->details;
        std::cout << "\nDATABASE REPLACED " << local(v.database_replaced->ts, tz, true)
                  << " (found at " << d.value("found", std::string("?"))
                  << "): " << cut(d.value("reason", std::string()), 200)
                  << "\n  the chain goes on after entry "
                  << d.value("chain_continues_after", int64_t{0}) << ", seq at "
                  << d.value("seq_continues_at", int64_t{1}) << '\n';
    }
    for (const auto& kept : v.damaged_kept)
        std::cout << "  damaged database kept in " << kept
                  << " (copy it off for the county office, then remove it)\n";
}

// Times in UTC (RFC 3339), absent values as null: for scripts and the county's tools.
nlohmann::ordered_json to_json(const StatusView& v) {
    using json = nlohmann::ordered_json;
    auto time_or_null = [](WallMs t) { return t > 0 ? json(format_rfc3339(t)) : json(nullptr); };
    json out;
    out["gateway"] = v.gateway;
    out["site"] = v.site;
    out["now"] = format_rfc3339(v.now);
    out["timezone"] = v.timezone;
    out["clock_synced"] = v.clock_synced ? json(*v.clock_synced) : json(nullptr);
    out["clock_since"] = time_or_null(v.clock_since);
    out["meters"] = json::array();
    for (const auto& m : v.meters)
        out["meters"].push_back({{"id", m.id},
                                 {"health", m.health},
                                 {"since", time_or_null(m.health_since)},
                                 {"last_reading", time_or_null(m.last_reading)},
                                 {"serial", m.serial}});
    out["assets"] = json::array();
    for (const auto& a : v.assets)
        out["assets"].push_back({{"id", a.id},
                                 {"state", a.state},
                                 {"state_set_by_command", a.state_from_command},
                                 {"power_w", a.power_w ? json(*a.power_w) : json(nullptr)},
                                 {"standby_w", a.standby_w},
                                 {"meters", a.meters}});
    out["open_alarms"] = json::array();
    for (const auto& e : v.open_alarms)
        out["open_alarms"].push_back({{"id", e.id},
                                      {"type", e.type},
                                      {"severity", std::string(to_string(e.severity))},
                                      {"asset", e.asset.empty() ? json(nullptr) : json(e.asset)},
                                      {"meter", e.meter.empty() ? json(nullptr) : json(e.meter)},
                                      {"since", format_rfc3339(e.started)}});
    out["state_overrides"] = json::array();
    for (const auto& r : v.overrides)
        out["state_overrides"].push_back({{"asset", r.asset},
                                          {"state", r.state},
                                          {"since", format_rfc3339(r.since_ms)},
                                          {"by", r.by},
                                          {"note", r.note}});
    out["pending_state_commands"] = v.pending_state_commands;
    out["evidence"] = {
        {"key_fingerprint", v.key_fingerprint.empty() ? json(nullptr) : json(v.key_fingerprint)},
        {"chain_entries", v.chain_entries.value_or(0)},
        {"chain_last", time_or_null(v.chain_last)},
        {"chain_head", v.chain_head.empty() ? json(nullptr) : json(v.chain_head)}};
    json uplink = {{"host", v.uplink_host}, {"port", v.uplink_port}};
    if (v.backlog) {
        uplink["unsent_readings"] = v.backlog->unsent_readings;
        uplink["unsent_events"] = v.backlog->unsent_events;
        uplink["unsent_rollups"] = v.backlog->unsent_rollups;
        uplink["unacked_messages"] = v.backlog->unacked_messages;
        uplink["next_seq"] = v.backlog->next_seq;
    }
    out["uplink"] = uplink;
    out["database"] = {{"bytes", v.database_bytes ? json(*v.database_bytes) : json(nullptr)},
                       {"budget_mb", v.budget_mb}};
    out["storage"] = {
        {"state", v.storage_note ? json(v.storage_note->state) : json(nullptr)},
        {"since", v.storage_note ? time_or_null(v.storage_note->since) : json(nullptr)},
        {"message", v.storage_note ? json(v.storage_note->message) : json(nullptr)},
        {"database_replaced",
         v.database_replaced ? wire::event_json(*v.database_replaced) : json(nullptr)},
        {"damaged_kept", v.damaged_kept},
        {"problem", v.storage_problem()}};
    return out;
}

}  // namespace

int run_status(const std::string& config_path, bool as_json) {
    auto cfg = config::load(config_path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cerr << p << '\n';
        return 2;
    }
    auto path = store::database_path(cfg->gateway.data_dir);
    if (!std::filesystem::exists(path)) {
        std::cerr << "no database at " << path << " yet: has sealwatchd run with this config?\n";
        return 1;
    }
    auto st = store::Store::open_read_only(path);
    if (!st) {
        std::cerr << "cannot read " << path << ": " << st.error().message << '\n';
        return 1;
    }
    const StatusView view = gather_status(*cfg, *st, wall_now_ms());
    if (as_json) {
        std::cout << to_json(view).dump(2) << '\n';
    } else {
        print_text(view, detect::TimeZone::load(cfg->gateway.timezone));
    }
    // Exit 3: the gateway's storage needs someone (docs/cli.md).
    return view.storage_problem() ? 3 : 0;
}

}  // namespace sealwatch::cli
