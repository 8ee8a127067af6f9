#include "store/store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/quantities.hpp"
#include "store/internal.hpp"
#include "store/schema.hpp"
#include "wire/event.hpp"

namespace sealwatch::store {

static_assert(std::endian::native == std::endian::little,
              "the packed value format is written as little-endian by memcpy");

std::string database_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / kDatabaseFile).string();
}

std::vector<uint8_t> pack_values(std::span<const QuantityValue> values) {
    std::vector<uint8_t> out(values.size() * 9);
    uint8_t* p = out.data();
    for (const auto& v : values) {
        *p++ = v.quantity;
        std::memcpy(p, &v.value, 8);
        p += 8;
    }
    return out;
}

std::vector<QuantityValue> unpack_values(std::span<const uint8_t> blob) {
    std::vector<QuantityValue> out;
    out.reserve(blob.size() / 9);
    for (size_t i = 0; i + 9 <= blob.size(); i += 9) {
        QuantityValue v{blob[i], 0.0};
        std::memcpy(&v.value, blob.data() + i + 1, 8);
        if (v.quantity < kQuantities.size()) out.push_back(v);
    }
    return out;
}

using namespace internal;

Result<Store> Store::open(const std::string& path, const Options& options) {
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    auto db = sqlite::Db::open(path);
    if (!db) return pass(db);
    Store s;
    s.path_ = path;
    s.db_ = std::move(*db);
    s.options_ = options;
    if (auto r = s.db_.exec("PRAGMA busy_timeout = " + std::to_string(options.busy_wait_ms)); !r)
        return pass(r);
    if (auto r = migrate(s.db_); !r) return pass(r);
    auto page_size = s.db_.scalar("PRAGMA page_size");
    if (!page_size) return pass(page_size);
    s.page_size_ = static_cast<int>(*page_size);
    if (auto r = s.prepare_statements(); !r) return pass(r);
    if (auto r = s.load_chain_tip(); !r) return pass(r);
    if (auto r = s.load_outbox_marks(); !r) return pass(r);
    // A checkpoint syncs the WAL first: whatever a killed run committed with
    // synchronous=NORMAL is on stable storage from here on, so the mark may name it.
    if (auto r = s.db_.exec("PRAGMA wal_checkpoint(PASSIVE)"); !r) return pass(r);
    if (!options.durable_mark_path.empty()) {
        auto mark = DurableMarkFile::open(options.durable_mark_path);
        if (!mark) return pass(mark);
        if (auto r = mark->read(); !r) return pass(r);  // takes up its write counter
        s.mark_file_ = std::move(*mark);
    }
    s.made_durable();
    if (!s.mark_error_.empty()) return fail(s.mark_error_);
    return s;
}

void Store::made_durable() {
    durable_ = {chain_n_, chain_head_, static_cast<uint64_t>(marks_.next_seq)};
    if (!mark_file_) return;
    auto r = mark_file_->write(durable_);
    mark_error_ = r ? std::string() : r.error().message;
}

Result<Store> Store::open_read_only(const std::string& path) {
    auto db = sqlite::Db::open(path, sqlite::Db::Mode::read_only);
    if (!db) return pass(db);
    Store s;
    s.path_ = path;
    s.db_ = std::move(*db);
    if (auto r = s.db_.exec("PRAGMA query_only = ON"); !r) return pass(r);
    auto version = s.db_.scalar("PRAGMA user_version");
    if (!version) return pass(version);
    if (*version != kSchemaVersion)
        return fail(path + ": schema version " + std::to_string(*version) + ", this build reads " +
                    std::to_string(kSchemaVersion));
    if (auto r = s.load_chain_tip(); !r) return pass(r);
    s.durable_ = {s.chain_n_, s.chain_head_, 0};
    return s;
}

Result<std::optional<std::vector<std::string>>> Store::quick_check(int64_t budget_ms) {
    auto st = db_.prepare("PRAGMA quick_check(20)");
    if (!st) return pass(st);
    // The check reads every page: on a large database on slow flash it is given up when out of
    // time (an interrupted check is "not known", never "ok").
    struct Deadline {
        std::chrono::steady_clock::time_point at;
    } deadline{std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms)};
    sqlite3_progress_handler(
        db_.raw(), 10000,
        [](void* d) -> int {
            return std::chrono::steady_clock::now() > static_cast<Deadline*>(d)->at ? 1 : 0;
        },
        &deadline);
    std::vector<std::string> problems;
    bool interrupted = false;
    while (true) {
        auto row = st->step();
        if (!row) {
            interrupted = sqlite3_errcode(db_.raw()) == SQLITE_INTERRUPT;
            if (!interrupted) problems.push_back(row.error().message);
            break;
        }
        if (!*row) break;
        if (auto line = st->text(0); line != "ok") problems.push_back(line);
    }
    st->reset();
    sqlite3_progress_handler(db_.raw(), 0, nullptr, nullptr);
    if (interrupted) {
        db_.forget_failure();
        return std::optional<std::vector<std::string>>();
    }
    return std::optional<std::vector<std::string>>(std::move(problems));
}

Result<void> Store::prepare_statements() {
    auto ins = db_.prepare(
        "INSERT INTO readings(meter, ts_ms, vals, serial, ct_ratio, pt_ratio, clock_unsynced) "
        "VALUES(?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return pass(ins);
    insert_reading_ = std::move(*ins);
    auto seen = db_.prepare(
        "UPDATE meters SET last_reading_ms = max(last_reading_ms, ?), "
        "serial = coalesce(?, serial) WHERE id = ?");
    if (!seen) return pass(seen);
    upsert_meter_seen_ = std::move(*seen);
    return {};
}

Result<int64_t> Store::meter_key(const std::string& meter) {
    for (const auto& [name, key] : meter_keys_)
        if (name == meter) return key;
    auto st = db_.prepare("INSERT INTO meters(name) VALUES(?) ON CONFLICT(name) DO NOTHING");
    if (!st) return pass(st);
    st->bind(1, std::string_view(meter));
    if (auto r = st->run(); !r) return pass(r);
    auto q = db_.prepare("SELECT id FROM meters WHERE name = ?");
    if (!q) return pass(q);
    q->bind(1, std::string_view(meter));
    auto row = q->step();
    if (!row) return pass(row);
    if (!*row) return fail("meter row vanished");
    int64_t key = q->int64(0);
    meter_keys_.emplace_back(meter, key);
    return key;
}

Result<void> Store::append_readings(std::span<const Reading> readings,
                                    uint64_t journal_generation) {
    if (readings.empty()) return {};
    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return b;
    auto tip = insert_readings(readings, journal_generation);
    if (!tip) return pass(tip);
    if (auto c = tx.commit(); !c) return c;
    chain_n_ = tip->n;
    chain_head_ = tip->head;
    return {};
}

Result<Store::ChainTip> Store::insert_readings(std::span<const Reading> readings,
                                               uint64_t journal_generation) {
    // Stored in the chain's canonical order, (ts, meter), so that an export streams by id.
    std::vector<size_t> order(readings.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (readings[a].wall_ms != readings[b].wall_ms)
            return readings[a].wall_ms < readings[b].wall_ms;
        return readings[a].meter < readings[b].meter;
    });
    chain::Sha256 digest;
    digest.update(chain::kReadingsDomain);
    std::string line;
    int64_t first_id = 0, last_id = 0;
    std::map<int64_t, std::pair<WallMs, const std::string*>> seen;
    for (size_t i : order) {
        const auto& r = readings[i];
        chain::Record rec;
        rec.ts = r.wall_ms;
        rec.meter = r.meter;
        if (r.serial) rec.serial = *r.serial;
        rec.ratios = r.ratios;
        rec.clock_unsynced = r.clock_unsynced;
        for (const auto& v : r.values)
            if (v.quantity < rec.v.size()) rec.v[v.quantity] = v.value;
        chain::append_record(line, rec);  // the batch's records, hashed in one call below
        auto key = meter_key(r.meter);
        if (!key) return pass(key);
        auto blob = pack_values(r.values);
        insert_reading_.bind(1, *key)
            .bind(2, static_cast<int64_t>(r.wall_ms))
            .bind(3, std::span<const uint8_t>(blob));
        if (r.serial) {
            insert_reading_.bind(4, std::string_view(*r.serial));
        } else {
            insert_reading_.bind_null(4);
        }
        bind_ratio(insert_reading_, 5, r.ratios.ct);
        bind_ratio(insert_reading_, 6, r.ratios.pt);
        if (r.clock_unsynced) {
            insert_reading_.bind(7, int64_t{1});
        } else {
            insert_reading_.bind_null(7);
        }
        if (auto s = insert_reading_.run(); !s) return pass(s);
        last_id = db_.last_insert_rowid();
        if (first_id == 0) first_id = last_id;
        auto& last = seen[*key];
        last.first = std::max(last.first, r.wall_ms);
        if (r.serial) last.second = &*r.serial;
    }
    for (const auto& [key, last] : seen) {
        upsert_meter_seen_.bind(1, static_cast<int64_t>(last.first));
        if (last.second) {
            upsert_meter_seen_.bind(2, std::string_view(*last.second));
        } else {
            upsert_meter_seen_.bind_null(2);
        }
        upsert_meter_seen_.bind(3, key);
        if (auto s = upsert_meter_seen_.run(); !s) return pass(s);
    }
    digest.update(line);
    const auto& lo = readings[order.front()];
    const auto& hi = readings[order.back()];
    auto tip = chain_append(chain::EntryKind::readings, first_id, last_id,
                            static_cast<int64_t>(readings.size()), lo.wall_ms, hi.wall_ms,
                            digest.finish(), {chain_n_, chain_head_});
    if (!tip) return pass(tip);
    if (journal_generation != 0) {
        set_meta_.bind(1, std::string_view(kJournalFolded))
            .bind(2, std::string_view(std::to_string(journal_generation)));
        if (auto s = set_meta_.run(); !s) return pass(s);
    }
    return tip;
}

Result<int64_t> Store::append_event(const Event& event) {
    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return pass(b);
    ChainTip tip{chain_n_, chain_head_};
    auto id = insert_event(event, tip);
    if (!id) return id;
    if (auto c = tx.commit(); !c) return pass(c);
    chain_n_ = tip.n;
    chain_head_ = tip.head;
    return id;
}

Result<uint64_t> Store::journal_folded() {
    auto folded = meta_int(db_, kJournalFolded, 0);
    if (!folded) return pass(folded);
    return static_cast<uint64_t>(*folded);
}

Result<void> Store::set_meter_health(const HealthChange& change) {
    auto key = meter_key(change.meter);
    if (!key) return pass(key);
    auto st = db_.prepare("UPDATE meters SET health = ?, health_since_ms = ? WHERE id = ?");
    if (!st) return pass(st);
    st->bind(1, to_string(change.health))
        .bind(2, static_cast<int64_t>(change.wall_ms))
        .bind(3, *key);
    return st->run();
}

Result<Backlog> Store::backlog() {
    Backlog b;
    auto sr = meta_int(db_, kSentReadings, 0);
    auto se = meta_int(db_, kSentEvents, 0);
    auto so = meta_int(db_, kSentRollups, 0);
    auto ns = meta_int(db_, kNextSeq, 1);
    if (!sr || !se || !so || !ns) return fail("cannot read the outbox state: " + db_.message());
    auto count = [&](const char* sql, int64_t after) -> Result<int64_t> {
        auto st = db_.prepare(sql);
        if (!st) return pass(st);
        st->bind(1, after);
        auto row = st->step();
        if (!row) return pass(row);
        return *row ? st->int64(0) : 0;
    };
    auto r1 = count("SELECT count(*) FROM readings WHERE id > ?", *sr);
    auto r2 = count("SELECT count(*) FROM events WHERE id > ?", *se);
    auto r3 = count("SELECT count(*) FROM rollups WHERE id > ? AND pending = 1", *so);
    auto r4 = count("SELECT count(*) FROM outbox WHERE seq >= ?", 0);
    if (!r1 || !r2 || !r3 || !r4) return fail("cannot count the backlog: " + db_.message());
    b.unsent_readings = *r1;
    b.unsent_events = *r2;
    b.unsent_rollups = *r3;
    b.unacked_messages = *r4;
    b.next_seq = static_cast<uint64_t>(*ns);
    return b;
}

Result<std::vector<MeterStatus>> Store::meter_status() {
    auto st = db_.prepare(
        "SELECT name, health, health_since_ms, last_reading_ms, serial FROM meters ORDER BY name");
    if (!st) return pass(st);
    std::vector<MeterStatus> out;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        out.push_back({st->text(0), st->text(1), st->int64(2), st->int64(3), st->text(4)});
    }
    return out;
}

Result<std::optional<double>> Store::latest_value(const std::string& meter, uint8_t quantity) {
    auto st = db_.prepare(
        "SELECT r.vals FROM readings r JOIN meters m ON m.id = r.meter WHERE m.name = ? "
        "ORDER BY r.id DESC LIMIT 5");
    if (!st) return pass(st);
    st->bind(1, std::string_view(meter));
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) return std::optional<double>();
        for (const auto& v : unpack_values(st->blob(0)))
            if (v.quantity == quantity) return std::optional<double>(v.value);
    }
}

Result<std::vector<Event>> Store::events_between(WallMs from, WallMs to) {
    auto st = db_.prepare("SELECT body FROM events WHERE ts_ms >= ? AND ts_ms < ? ORDER BY id");
    if (!st) return pass(st);
    st->bind(1, static_cast<int64_t>(from)).bind(2, static_cast<int64_t>(to));
    std::vector<Event> out;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        auto j = nlohmann::ordered_json::parse(st->text(0), nullptr, false);
        if (auto e = wire::event_from_json(j)) out.push_back(std::move(*e));
    }
    return out;
}

Result<std::optional<std::string>> Store::meta(const std::string& key) {
    auto st = db_.prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return pass(st);
    st->bind(1, std::string_view(key));
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(st->text(0));
}

Result<void> Store::set_meta(const std::string& key, const std::string& value) {
    auto st = db_.prepare(
        "INSERT INTO meta(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!st) return pass(st);
    st->bind(1, std::string_view(key)).bind(2, std::string_view(value));
    return st->run();
}

}  // namespace sealwatch::store
