#pragma once
// What `sealwatch status` shows, gathered once from the config and the agent's database (read
// only, so it works while the agent runs), as plain data: the text table and `--json` are two
// renderings of the same view (cli/status.cpp), so they cannot disagree.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "config/config.hpp"
#include "model/event.hpp"
#include "store/storage_note.hpp"
#include "store/store.hpp"

namespace sealwatch::cli {

struct StatusView {
    std::string gateway, site, timezone;
    WallMs now = 0;
    std::optional<bool> clock_synced;  // the agent's last word on its clock, if any
    std::string clock_checked;         // as the agent wrote it (RFC 3339)
    WallMs clock_since = 0;            // the state began (as the agent saw it); 0: unknown

    struct Meter {
        std::string id, health, serial;
        WallMs health_since = 0, last_reading = 0;  // 0: never
    };
    std::vector<Meter> meters;  // in config order

    struct Asset {
        std::string id, state;
        bool state_from_command = false;  // set by `sealwatch asset set-state`, overrides config
        std::optional<double> power_w;    // sum of its meters' latest p_w
        double standby_w = 0;
        std::vector<std::string> meters;
    };
    std::vector<Asset> assets;  // in config order

    std::vector<Event> open_alarms;               // raised, not cleared; by alarm id
    std::vector<store::AssetStateRow> overrides;  // legal states set by command
    size_t pending_state_commands = 0;

    std::string key_fingerprint;  // empty: no key yet
    std::string key_path;
    std::optional<int64_t> chain_entries;  // empty chain: nullopt
    WallMs chain_last = 0;
    std::string chain_head;  // hex

    std::string uplink_host;
    int uplink_port = 0;
    std::optional<store::Backlog> backlog;
    std::optional<int64_t> database_bytes;
    int64_t budget_mb = 0;

    // The gateway's storage. The agent's own note (full disk), kept outside the database.
    std::optional<store::StorageNote> storage_note;
    // The database_damaged event that started this database, if one did, and whether the
    // damaged files are still kept in data_dir/damaged/ (they are until someone deals with them).
    std::optional<Event> database_replaced;
    std::vector<std::string> damaged_kept;
    // Something an operator must act on: `sealwatch status` exits 3.
    bool storage_problem() const {
        return (storage_note && storage_note->state != "ok") || !damaged_kept.empty();
    }
};

// The view of `cfg`'s gateway from its open database at time `now`.
StatusView gather_status(const config::Config& cfg, store::Store& st, WallMs now);

}  // namespace sealwatch::cli
