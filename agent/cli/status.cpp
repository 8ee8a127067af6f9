#include "cli/status.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "chain/crypto.hpp"
#include "common/clock.hpp"
#include "common/quantities.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

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

std::string cut(const std::string& s, size_t n) {
    return s.size() <= n ? s : s.substr(0, n - 1) + "~";
}

// The latest p_w of a meter, from its newest reading that has one.
std::optional<double> latest_power(store::Store& st, const std::string& meter) {
    constexpr uint8_t p_w = quantity_index("p_w");
    auto latest = st.latest_value(meter, p_w);
    return latest ? *latest : std::nullopt;
}

}  // namespace

int run_status(const std::string& config_path) {
    auto cfg = config::load(config_path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cout << p << '\n';
        return 2;
    }
    auto path = (std::filesystem::path(cfg->gateway.data_dir) / "sealwatch.db").string();
    if (!std::filesystem::exists(path)) {
        std::cout << "no database at " << path << " yet: has sealwatchd run with this config?\n";
        return 1;
    }
    auto st = store::Store::open_read_only(path);
    if (!st) {
        std::cout << "cannot read " << path << ": " << st.error().message << '\n';
        return 1;
    }
    const WallMs now = wall_now_ms();
    std::cout << "gateway " << cfg->gateway.id << " at " << cfg->gateway.site << ", "
              << format_rfc3339(now) << "\n";
    // The agent's last word on its wall clock (agent/daemon/appliance.cpp, meta "clock").
    if (auto c = st->meta("clock"); c && *c) {
        auto j = nlohmann::json::parse(**c, nullptr, false);
        if (!j.is_discarded() && j.is_object())
            std::cout << "clock: "
                      << (j.value("synced", false) ? "synchronised" : "NOT synchronised")
                      << " (as of " << j.value("checked", std::string("?")) << ")\n";
    }
    std::cout << '\n';

    std::cout << "METER            HEALTH         SINCE          LAST READING   SERIAL\n";
    std::map<std::string, store::MeterStatus> by_meter;
    if (auto ms = st->meter_status())
        for (auto& m : *ms) by_meter[m.meter] = m;
    for (const auto& m : cfg->meters) {
        auto it = by_meter.find(m.id);
        store::MeterStatus s =
            it != by_meter.end() ? it->second : store::MeterStatus{m.id, "unknown", 0, 0, ""};
        std::string health = s.health;
        if (health == "unknown" && s.last_reading_ms > 0) health = "online";
        char line[160];
        std::snprintf(line, sizeof line, "%-16s %-14s %-14s %-14s %s", cut(m.id, 16).c_str(),
                      health.c_str(), s.health_since_ms ? age(s.health_since_ms, now).c_str() : "-",
                      age(s.last_reading_ms, now).c_str(), cut(s.serial, 14).c_str());
        std::cout << line << '\n';
    }

    // Legal states recorded by `sealwatch asset set-state` override the config's.
    std::map<std::string, store::AssetStateRow> legal;
    if (auto rows = st->asset_states())
        for (auto& r : *rows) legal[r.asset] = r;
    std::cout << "\nASSET            STATE        POWER        STANDBY      METERS\n";
    for (const auto& a : cfg->assets) {
        std::optional<double> total;
        for (const auto& m : a.meters)
            if (auto p = latest_power(*st, m)) total = total.value_or(0) + *p;
        std::string meters;
        for (const auto& m : a.meters) meters += (meters.empty() ? "" : ",") + m;
        char line[160];
        std::snprintf(line, sizeof line, "%-16s %-12s %-12s %-12s %s", cut(a.id, 16).c_str(),
                      legal.contains(a.id) ? (legal[a.id].state + "*").c_str()
                                           : std::string(config::to_string(a.state)).c_str(),
                      watts(total).c_str(), watts(a.standby_w).c_str(), cut(meters, 20).c_str());
        std::cout << line << '\n';
    }

    // Open alarms: raised and not (yet) cleared, by alarm id.
    std::map<std::string, Event> open;
    if (auto events = st->events_between(0, INT64_MAX)) {
        for (auto& e : *events) {
            if (e.state == EventState::raised) open[e.id] = e;
            if (e.state == EventState::cleared) open.erase(e.id);
        }
    }
    std::cout << "\nOPEN ALARMS: " << open.size() << '\n';
    for (const auto& [id, e] : open) {
        char line[160];
        std::snprintf(line, sizeof line, "  %-8s %-24s %-16s since %s",
                      std::string(to_string(e.severity)).c_str(), cut(e.type, 24).c_str(),
                      cut(e.asset.empty() ? e.meter : e.asset, 16).c_str(),
                      format_rfc3339(e.started).substr(0, 19).c_str());
        std::cout << line << '\n';
    }

    if (!legal.empty()) {
        std::cout << "* state set by sealwatch asset set-state (overrides the config):\n";
        for (const auto& [id, r] : legal) {
            char line[200];
            std::snprintf(line, sizeof line, "  %-16s %-11s %s by %s", cut(id, 16).c_str(),
                          r.state.c_str(), format_rfc3339(r.since_ms).substr(0, 16).c_str(),
                          cut(r.by, 30).c_str());
            std::cout << line << '\n';
            if (!r.note.empty()) std::cout << "    note: " << cut(r.note, 70) << '\n';
        }
    }
    if (auto pending = st->pending_state_commands(); pending && !pending->empty())
        std::cout << "  " << pending->size()
                  << " set-state command(s) waiting for the agent to apply them\n";

    // The evidence trail: what an inspector compares with the county's copy.
    std::cout << "\nEVIDENCE\n";
    if (auto pub = chain::load_public_key(chain::gateway_pub_path(cfg->gateway.data_dir))) {
        std::cout << "  key fingerprint: " << chain::fingerprint(*pub) << '\n';
    } else {
        std::cout << "  key: none yet (" << chain::gateway_pub_path(cfg->gateway.data_dir)
                  << "; sealwatchd --init-key)\n";
    }
    if (auto tip = st->chain_tip(); tip && *tip) {
        const auto& t = **tip;
        std::cout << "  chain: " << t.n << " entries, last "
                  << format_rfc3339(t.ts_max).substr(0, 19) << "Z\n  head:  " << chain::hex(t.head)
                  << '\n';
    } else {
        std::cout << "  chain: empty\n";
    }

    std::cout << "\nUPLINK " << cfg->uplink.host << ":" << cfg->uplink.port << '\n';
    if (auto b = st->backlog()) {
        std::cout << "  waiting to be sent: " << b->unsent_readings << " reading(s), "
                  << b->unsent_events << " event(s), " << b->unsent_rollups << " rollup(s)\n"
                  << "  sent, awaiting acknowledgement: " << b->unacked_messages
                  << " message(s); next seq " << b->next_seq << '\n';
    }
    if (auto size = st->size_bytes()) {
        constexpr int64_t kMiB = int64_t{1024} * 1024;
        std::cout << "  database: " << (*size + kMiB / 2) / kMiB << " MiB of "
                  << cfg->storage.budget_mb << " MiB budget\n";
    }
    return 0;
}

}  // namespace sealwatch::cli
