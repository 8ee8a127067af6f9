#include "store/schema.hpp"

#include <iterator>
#include <string>

namespace sealwatch::store {

namespace {

// Migration N takes the schema from version N-1 to N. Append; never edit a shipped one.
constexpr const char* kMigrations[] = {
    // 1: readings packed per poll, events as their JSON, the outbox naming rows by id.
    R"sql(
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE meters(
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        health TEXT NOT NULL DEFAULT 'unknown',
        health_since_ms INTEGER NOT NULL DEFAULT 0,
        last_reading_ms INTEGER NOT NULL DEFAULT 0,
        serial TEXT NOT NULL DEFAULT '');
    CREATE TABLE readings(
        id INTEGER PRIMARY KEY,
        meter INTEGER NOT NULL,
        ts_ms INTEGER NOT NULL,
        vals BLOB NOT NULL,
        serial TEXT);
    CREATE TABLE events(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE INDEX events_ts ON events(ts_ms);
    CREATE TABLE rollups(
        id INTEGER PRIMARY KEY,
        meter INTEGER NOT NULL,
        minute_ms INTEGER NOT NULL,
        n INTEGER NOT NULL,
        p_min_w REAL, p_avg_w REAL, p_max_w REAL,
        e_imp_kwh REAL, e_exp_kwh REAL,
        pending INTEGER NOT NULL);
    CREATE TABLE outbox(
        seq INTEGER PRIMARY KEY,
        kind INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL);
    )sql",
    // 2: the tamper-evident chain (never deleted), legal asset states, set-state commands.
    R"sql(
    CREATE TABLE chain(
        n INTEGER PRIMARY KEY,
        kind INTEGER NOT NULL,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        count INTEGER NOT NULL,
        ts_min INTEGER NOT NULL,
        ts_max INTEGER NOT NULL,
        digest BLOB NOT NULL,
        head BLOB NOT NULL);
    CREATE TABLE asset_states(
        asset TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        by_whom TEXT NOT NULL,
        note TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE commands(
        id INTEGER PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        asset TEXT NOT NULL,
        state TEXT NOT NULL,
        by_whom TEXT NOT NULL,
        note TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        message TEXT NOT NULL DEFAULT '',
        chain_n INTEGER NOT NULL DEFAULT 0,
        done_ms INTEGER NOT NULL DEFAULT 0);
    )sql",
    // 3: the nonces of accepted county commands, so that a replay is refused after a restart.
    R"sql(
    CREATE TABLE command_nonces(
        nonce TEXT PRIMARY KEY,
        keep_until_ms INTEGER NOT NULL) WITHOUT ROWID;
    )sql",
    // 4: `sealwatch test-alarm` requests waiting for the running agent, and what became of them.
    R"sql(
    CREATE TABLE test_alarms(
        id INTEGER PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        asset TEXT NOT NULL,
        by_whom TEXT NOT NULL,
        note TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        message TEXT NOT NULL DEFAULT '',
        chain_n INTEGER NOT NULL DEFAULT 0,
        event_id TEXT NOT NULL DEFAULT '',
        done_ms INTEGER NOT NULL DEFAULT 0);
    )sql",
    // 5: the CT/PT ratios a reading's values were multiplied by; NULL for 1, so the rows of a
    // meter without transformers (and every row from before) cost nothing.
    R"sql(
    ALTER TABLE readings ADD COLUMN ct_ratio REAL;
    ALTER TABLE readings ADD COLUMN pt_ratio REAL;
    )sql",
    // 6: 1 when the gateway's wall clock was not synchronised at the reading's poll; NULL when
    // it was (and for every row from before, whose clock state was not recorded).
    R"sql(
    ALTER TABLE readings ADD COLUMN clock_unsynced INTEGER;
    )sql",
};

}  // namespace

Result<void> migrate(sqlite::Db& db) {
    static_assert(std::size(kMigrations) == kSchemaVersion);
    auto version = sqlite::schema_version(db, kSchemaVersion);
    if (!version) return tl::unexpected(version.error());
    if (*version == 0) {
        // Only for a new file, and before auto_vacuum (which fixes the page size): every commit
        // writes each page it touched whole into the WAL, and a flush touches ~7 pages besides
        // the readings' own (page 1, the pointer map, meta, meters, the readings' interior
        // page, outbox, chain), so the page size is most of what a commit costs in flash
        // (docs/performance.md, "Durability").
        if (auto r = db.exec("PRAGMA page_size = " + std::to_string(kPageSize)); !r) return r;
        // Only takes effect before the first table exists: lets the budget reclaim pages.
        if (auto r = db.exec("PRAGMA auto_vacuum = INCREMENTAL"); !r) return r;
    }
    auto mode = db.exec("PRAGMA journal_mode = WAL");
    if (!mode) return mode;
    if (auto r = db.exec("PRAGMA synchronous = NORMAL"); !r) return r;
    // A gateway has little RAM: 256 KiB of page cache (SQLite's default is 2 MiB) holds the hot
    // pages of the tables that are appended to and re-read at once (the outbox pump's rows);
    // older pages are read rarely. Measured against 1 MiB (docs/performance.md, "Where the RSS
    // goes"): 0.5 MiB less RSS at 100 ms polling, CPU per poll, flash and a backlog's drain the
    // same within the noise. Export, verify and status open read-only connections of their own
    // (Store::open_read_only), which keep SQLite's default.
    if (auto r = db.exec("PRAGMA cache_size = -256"); !r) return r;
    return sqlite::apply_migrations(db, kMigrations);
}

}  // namespace sealwatch::store
