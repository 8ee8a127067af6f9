#include "cli/status_view.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "chain/crypto.hpp"
#include "common/quantities.hpp"
#include "store/recovery.hpp"
#include "wire/event.hpp"

namespace sealwatch::cli {

namespace {

// The latest p_w of a meter, from its newest reading that has one.
std::optional<double> latest_power(store::Store& st, const std::string& meter) {
    constexpr uint8_t p_w = quantity_index("p_w");
    auto latest = st.latest_value(meter, p_w);
    return latest ? *latest : std::nullopt;
}

}  // namespace

StatusView gather_status(const config::Config& cfg, store::Store& st, WallMs now) {
    StatusView v;
    v.gateway = cfg.gateway.id;
    v.site = cfg.gateway.site;
    v.timezone = cfg.gateway.timezone;
    v.now = now;
    // The agent's last word on its wall clock (agent/daemon/appliance.cpp, meta "clock").
    if (auto c = st.meta("clock"); c && *c) {
        auto j = nlohmann::json::parse(**c, nullptr, false);
        if (!j.is_discarded() && j.is_object()) {
            v.clock_synced = j.value("synced", false);
            v.clock_checked = j.value("checked", std::string("?"));
            v.clock_since = parse_time(j.value("since", std::string())).value_or(0);
        }
    }

    std::map<std::string, store::MeterStatus> by_meter;
    if (auto ms = st.meter_status())
        for (auto& m : *ms) by_meter[m.meter] = m;
    for (const auto& m : cfg.meters) {
        auto it = by_meter.find(m.id);
        store::MeterStatus s =
            it != by_meter.end() ? it->second : store::MeterStatus{m.id, "unknown", 0, 0, ""};
        // A meter with readings but no health change recorded yet has answered every poll.
        if (s.health == "unknown" && s.last_reading_ms > 0) s.health = "online";
        v.meters.push_back({m.id, s.health, s.serial, s.health_since_ms, s.last_reading_ms});
    }

    // Legal states recorded by `sealwatch asset set-state` override the config's.
    std::map<std::string, store::AssetStateRow> legal;
    if (auto rows = st.asset_states())
        for (auto& r : *rows) legal[r.asset] = r;
    for (const auto& a : cfg.assets) {
        StatusView::Asset asset{a.id,        std::string(config::to_string(a.state)),
                                false,       std::nullopt,
                                a.standby_w, a.meters};
        if (auto it = legal.find(a.id); it != legal.end()) {
            asset.state = it->second.state;
            asset.state_from_command = true;
        }
        for (const auto& m : a.meters)
            if (auto p = latest_power(st, m)) asset.power_w = asset.power_w.value_or(0) + *p;
        v.assets.push_back(std::move(asset));
    }
    for (auto& [id, r] : legal) v.overrides.push_back(r);
    if (auto pending = st.pending_state_commands()) v.pending_state_commands = pending->size();

    // Open alarms: raised and not (yet) cleared, by alarm id.
    std::map<std::string, Event> open;
    if (auto events = st.events_between(0, INT64_MAX)) {
        for (auto& e : *events) {
            if (e.state == EventState::raised) open[e.id] = e;
            if (e.state == EventState::cleared) open.erase(e.id);
        }
    }
    for (auto& [id, e] : open) v.open_alarms.push_back(e);

    // The evidence trail: what an inspector compares with the county's copy.
    v.key_path = chain::gateway_pub_path(cfg.gateway.data_dir);
    if (auto pub = chain::load_public_key(v.key_path)) v.key_fingerprint = chain::fingerprint(*pub);
    if (auto tip = st.chain_tip(); tip && *tip) {
        v.chain_entries = (*tip)->n;
        v.chain_last = (*tip)->ts_max;
        v.chain_head = chain::hex((*tip)->head);
    }

    v.uplink_host = cfg.uplink.host;
    v.uplink_port = cfg.uplink.port;
    if (auto b = st.backlog()) v.backlog = *b;
    if (auto size = st.size_bytes()) v.database_bytes = *size;
    v.budget_mb = cfg.storage.budget_mb;

    const std::filesystem::path dir(cfg.gateway.data_dir);
    v.storage_note = store::read_storage_note((dir / store::kStorageNoteFile).string());
    if (auto replaced = st.meta(store::kDatabaseReplacedKey); replaced && *replaced) {
        auto j = nlohmann::ordered_json::parse(**replaced, nullptr, false);
        if (auto e = wire::event_from_json(j)) v.database_replaced = std::move(*e);
    }
    std::error_code ec;
    for (const auto& kept : std::filesystem::directory_iterator(dir / store::kDamagedFolder, ec))
        v.damaged_kept.push_back(kept.path().string());
    std::sort(v.damaged_kept.begin(), v.damaged_kept.end());
    return v;
}

}  // namespace sealwatch::cli
