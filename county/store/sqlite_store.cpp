#include "county/store/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <iterator>
#include <span>

#include "county/store/alarm_merge.hpp"
#include "store/sqlite.hpp"

namespace sealwatch::county {

namespace {

// Migration N takes the schema from version N-1 to N. Append; never edit a shipped one.
constexpr const char* kMigrations[] = {
    // 1: gateways with their last status and chain verdict, the seq ledger as ranges and its
    //    gaps, alarms by id, every chain head received, command replies.
    R"sql(
    CREATE TABLE gateways(
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        gateway TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_message_ms INTEGER NOT NULL DEFAULT 0,
        status_online INTEGER,
        status_ts_ms INTEGER NOT NULL DEFAULT 0,
        status_version TEXT NOT NULL DEFAULT '',
        status_boot INTEGER NOT NULL DEFAULT 0,
        status_received_ms INTEGER NOT NULL DEFAULT 0,
        chain_state TEXT NOT NULL DEFAULT 'unverified',
        chain_key BLOB,
        chain_fingerprint TEXT NOT NULL DEFAULT '',
        chain_n INTEGER NOT NULL DEFAULT 0,
        chain_head BLOB,
        chain_ts_ms INTEGER NOT NULL DEFAULT 0,
        chain_reason TEXT NOT NULL DEFAULT '',
        UNIQUE(site, gateway));
    CREATE TABLE seq_ranges(
        gateway INTEGER NOT NULL REFERENCES gateways(id),
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY(gateway, first)) WITHOUT ROWID;
    CREATE TABLE seq_gaps(
        gateway INTEGER NOT NULL REFERENCES gateways(id),
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        opened_ms INTEGER NOT NULL,
        PRIMARY KEY(gateway, first)) WITHOUT ROWID;
    CREATE TABLE alarms(
        gateway INTEGER NOT NULL REFERENCES gateways(id),
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        asset TEXT NOT NULL,
        meter TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        raised_ms INTEGER NOT NULL,
        cleared_ms INTEGER,
        received_ms INTEGER NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY(gateway, id)) WITHOUT ROWID;
    CREATE INDEX alarms_open ON alarms(cleared_ms) WHERE cleared_ms IS NULL;
    CREATE TABLE chain_heads(
        gateway INTEGER NOT NULL REFERENCES gateways(id),
        n INTEGER NOT NULL,
        head BLOB NOT NULL,
        ts TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY(gateway, n)) WITHOUT ROWID;
    CREATE TABLE command_replies(
        id INTEGER PRIMARY KEY,
        gateway INTEGER NOT NULL REFERENCES gateways(id),
        nonce TEXT,
        verb TEXT NOT NULL,
        ok INTEGER NOT NULL,
        reason TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        result TEXT NOT NULL,
        received_ms INTEGER NOT NULL);
    CREATE INDEX command_replies_gateway ON command_replies(gateway, id);
    )sql",
    // 2: the power series of the web page's timeline: per gateway, minute and meter (minute
    //    before meter, so that dropping the expired minutes and reading a window are ranges).
    R"sql(
    CREATE TABLE power_minutes(
        gateway INTEGER NOT NULL REFERENCES gateways(id),
        minute_ms INTEGER NOT NULL,
        meter TEXT NOT NULL,
        n INTEGER NOT NULL,
        sum_w REAL NOT NULL,
        min_w REAL NOT NULL,
        max_w REAL NOT NULL,
        PRIMARY KEY(gateway, minute_ms, meter)) WITHOUT ROWID;
    )sql",
    // 3: each gateway's last test event (`sealwatch test-alarm`), apart from the alarms.
    R"sql(
    CREATE TABLE test_alarms(
        gateway INTEGER PRIMARY KEY REFERENCES gateways(id),
        id TEXT NOT NULL,
        asset TEXT NOT NULL,
        by_whom TEXT NOT NULL,
        note TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        seq INTEGER NOT NULL);
    )sql",
};

Result<void> migrate(sqlite::Db& db) {
    if (auto r = db.exec("PRAGMA journal_mode = WAL"); !r) return r;
    // NORMAL in WAL mode: a power cut may lose the last transactions, never corrupt the file.
    // What the broker acknowledged to a gateway and the county lost that way shows as a gap.
    if (auto r = db.exec("PRAGMA synchronous = NORMAL"); !r) return r;
    return sqlite::apply_migrations(db, kMigrations);
}

Result<void> check_version(sqlite::Db& db) {
    auto version = sqlite::schema_version(db, std::size(kMigrations));
    if (!version) return tl::unexpected(version.error());
    if (*version == 0) return fail("not a sealwatch-county database yet (has `run` started?)");
    return {};
}

std::span<const uint8_t> bytes(const auto& array) {
    return {array.data(), array.size()};
}

template <size_t N>
std::array<uint8_t, N> to_array(std::span<const uint8_t> blob) {
    std::array<uint8_t, N> out{};
    if (blob.size() == N) std::copy(blob.begin(), blob.end(), out.begin());
    return out;
}

ChainState chain_state_from(const std::string& text) {
    if (text == "verified") return ChainState::verified;
    if (text == "broken") return ChainState::broken;
    return ChainState::unverified;
}

template <typename T>
tl::unexpected<Error> failed(const Result<T>& r) {
    return tl::unexpected(r.error());
}

// Calls on_row(st) for every row of `st`; a failing step ends it with the error.
template <typename OnRow>
Result<void> each_row(sqlite::Stmt& st, OnRow on_row) {
    for (auto row = st.step();; row = st.step()) {
        if (!row) return failed(row);
        if (!*row) return {};
        on_row(st);
    }
}

}  // namespace

std::string database_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "county.db").string();
}

struct SqliteStore::Impl {
    sqlite::Db db;

    // The gateway's row id; made (first seen at `received`) when `create`, else 0 if unknown.
    Result<int64_t> id(const GatewayRef& gw, bool create, WallMs received) {
        auto find = db.prepare("SELECT id FROM gateways WHERE site = ?1 AND gateway = ?2");
        if (!find) return failed(find);
        find->bind(1, gw.site).bind(2, gw.gateway);
        auto row = find->step();
        if (!row) return failed(row);
        if (*row) return find->int64(0);
        if (!create) return int64_t{0};
        auto add =
            db.prepare("INSERT INTO gateways(site, gateway, first_seen_ms) VALUES(?1, ?2, ?3)");
        if (!add) return failed(add);
        add->bind(1, gw.site).bind(2, gw.gateway).bind(3, received);
        if (auto r = add->run(); !r) return failed(r);
        return db.last_insert_rowid();
    }

    // One statement on one gateway (made when unknown), in its own transaction.
    template <typename Bind>
    Result<void> write(const GatewayRef& gw, WallMs received, const char* sql, Bind bind) {
        sqlite::Transaction tx(db);
        if (auto b = tx.begun(); !b) return b;
        auto gid = id(gw, true, received);
        if (!gid) return failed(gid);
        auto st = db.prepare(sql);
        if (!st) return failed(st);
        st->bind(1, *gid);
        bind(*st);
        if (auto r = st->run(); !r) return r;
        return tx.commit();
    }

    Result<SeqLedger> ledger(int64_t gid, WallMs now) {
        std::vector<SeqRange> ranges;
        std::vector<SeqGap> gaps;
        auto by_gateway = [&](sqlite::Stmt& st) { st.bind(1, gid); };
        auto read_ranges = query("SELECT first, last FROM seq_ranges WHERE gateway = ?1",
                                 by_gateway, [&](const sqlite::Stmt& r) {
                                     ranges.push_back({static_cast<uint64_t>(r.int64(0)),
                                                       static_cast<uint64_t>(r.int64(1))});
                                 });
        if (!read_ranges) return failed(read_ranges);
        auto read_gaps = query("SELECT first, last, opened_ms FROM seq_gaps WHERE gateway = ?1",
                               by_gateway, [&](const sqlite::Stmt& r) {
                                   gaps.push_back({static_cast<uint64_t>(r.int64(0)),
                                                   static_cast<uint64_t>(r.int64(1)), r.int64(2)});
                               });
        if (!read_gaps) return failed(read_gaps);
        return SeqLedger::restore(ranges, gaps, now);
    }

    Result<void> save_ledger(int64_t gid, const SeqLedger& ledger) {
        for (const char* sql : {"DELETE FROM seq_ranges WHERE gateway = ?1",
                                "DELETE FROM seq_gaps WHERE gateway = ?1"}) {
            auto st = db.prepare(sql);
            if (!st) return failed(st);
            st->bind(1, gid);
            if (auto r = st->run(); !r) return r;
        }
        auto ins_range =
            db.prepare("INSERT INTO seq_ranges(gateway, first, last) VALUES(?1, ?2, ?3)");
        if (!ins_range) return failed(ins_range);
        for (const auto& range : ledger.ranges()) {
            ins_range->bind(1, gid)
                .bind(2, static_cast<int64_t>(range.first))
                .bind(3, static_cast<int64_t>(range.last));
            if (auto r = ins_range->run(); !r) return r;
        }
        auto ins_gap = db.prepare(
            "INSERT INTO seq_gaps(gateway, first, last, opened_ms) VALUES(?1, ?2, ?3, ?4)");
        if (!ins_gap) return failed(ins_gap);
        for (const auto& gap : ledger.gaps()) {
            ins_gap->bind(1, gid)
                .bind(2, static_cast<int64_t>(gap.first))
                .bind(3, static_cast<int64_t>(gap.last))
                .bind(4, gap.opened);
            if (auto r = ins_gap->run(); !r) return r;
        }
        return {};
    }

    // Runs `sql` with bind(st) and on_row(row) for every row.
    template <typename Bind, typename OnRow>
    Result<void> query(const char* sql, Bind bind, OnRow on_row) {
        auto st = db.prepare(sql);
        if (!st) return failed(st);
        bind(*st);
        return each_row(*st, on_row);
    }

    static AlarmRecord alarm_row(const sqlite::Stmt& st) {
        AlarmRecord a;
        a.gw = {st.text(0), st.text(1)};
        a.id = st.text(2);
        a.type = st.text(3);
        a.severity = st.text(4);
        a.asset = st.text(5);
        a.meter = st.text(6);
        a.started = st.int64(7);
        a.raised = st.int64(8);
        if (!st.is_null(9)) a.cleared = st.int64(9);
        a.received = st.int64(10);
        a.details = st.text(11);
        return a;
    }
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, Mode mode) {
    auto impl = std::make_unique<Impl>();
    if (mode == Mode::read_only && !std::filesystem::exists(path))
        return fail(path + ": no database (has `sealwatch-county run` started?)");
    auto db = sqlite::Db::open(
        path, mode == Mode::read_only ? sqlite::Db::Mode::read_only : sqlite::Db::Mode::read_write);
    if (!db) return failed(db);
    impl->db = std::move(*db);
    auto ready = mode == Mode::read_write ? migrate(impl->db) : check_version(impl->db);
    if (!ready) return fail(path + ": " + ready.error().message);
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

Result<void> SqliteStore::touch(const GatewayRef& gw, WallMs received) {
    return impl_->write(gw, received,
                        "UPDATE gateways SET last_message_ms = max(last_message_ms, ?2) "
                        "WHERE id = ?1",
                        [&](sqlite::Stmt& st) { st.bind(2, received); });
}

Result<void> SqliteStore::know(const GatewayRef& gw, WallMs received) {
    sqlite::Transaction tx(impl_->db);
    if (auto b = tx.begun(); !b) return b;
    if (auto gid = impl_->id(gw, true, received); !gid) return failed(gid);
    return tx.commit();
}

Result<void> SqliteStore::record_status(const GatewayRef& gw, const StatusRecord& status) {
    return impl_->write(gw, status.received,
                        "UPDATE gateways SET status_online = ?2, status_ts_ms = ?3, "
                        "status_version = ?4, status_boot = ?5, status_received_ms = ?6 "
                        "WHERE id = ?1",
                        [&](sqlite::Stmt& st) {
                            st.bind(2, int64_t{status.online ? 1 : 0})
                                .bind(3, status.ts)
                                .bind(4, status.version)
                                .bind(5, status.boot)
                                .bind(6, status.received);
                        });
}

Result<SeqLedger::Added> SqliteStore::record_seq(const GatewayRef& gw, uint64_t seq,
                                                 WallMs received) {
    sqlite::Transaction tx(impl_->db);
    if (auto b = tx.begun(); !b) return failed(b);
    auto gid = impl_->id(gw, true, received);
    if (!gid) return failed(gid);
    auto ledger = impl_->ledger(*gid, received);
    if (!ledger) return failed(ledger);
    const auto added = ledger->add(seq, received);
    if (added != SeqLedger::Added::fresh) return added;
    if (auto r = impl_->save_ledger(*gid, *ledger); !r) return failed(r);
    if (auto r = tx.commit(); !r) return failed(r);
    return added;
}

Result<void> SqliteStore::record_alarm(const AlarmRecord& a) {
    static const std::string upsert =
        std::string(
            "INSERT INTO alarms(gateway, id, type, severity, asset, meter, started_ms, "
            "raised_ms, cleared_ms, received_ms, details) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
            "ON CONFLICT(gateway, id) DO UPDATE SET ") +
        kAlarmMergeSet;
    return impl_->write(a.gw, a.received, upsert.c_str(), [&](sqlite::Stmt& st) {
        st.bind(2, a.id)
            .bind(3, a.type)
            .bind(4, a.severity)
            .bind(5, a.asset)
            .bind(6, a.meter)
            .bind(7, a.started)
            .bind(8, a.raised)
            .bind(10, a.received)
            .bind(11, a.details);
        if (a.cleared)
            st.bind(9, *a.cleared);
        else
            st.bind_null(9);
    });
}

Result<void> SqliteStore::record_head(const GatewayRef& gw, const HeadRecord& head) {
    return impl_->write(
        gw, head.received,
        "INSERT OR IGNORE INTO chain_heads(gateway, n, head, ts, received_ms) "
        "VALUES(?1, ?2, ?3, ?4, ?5)",
        [&](sqlite::Stmt& st) {
            st.bind(2, head.n).bind(3, bytes(head.head)).bind(4, head.ts).bind(5, head.received);
        });
}

Result<void> SqliteStore::set_chain(const GatewayRef& gw, const ChainRecord& c) {
    return impl_->write(gw, wall_now_ms(),
                        "UPDATE gateways SET chain_state = ?2, chain_key = ?3, "
                        "chain_fingerprint = ?4, chain_n = ?5, chain_head = ?6, "
                        "chain_ts_ms = ?7, chain_reason = ?8 WHERE id = ?1",
                        [&](sqlite::Stmt& st) {
                            st.bind(2, std::string_view(to_string(c.state)));
                            if (c.pinned_key)
                                st.bind(3, bytes(*c.pinned_key));
                            else
                                st.bind_null(3);
                            st.bind(4, c.fingerprint)
                                .bind(5, c.last_n)
                                .bind(6, bytes(c.last_head))
                                .bind(7, c.last_ts)
                                .bind(8, c.reason);
                        });
}

Result<void> SqliteStore::record_reply(const GatewayRef& gw, const ReplyRecord& reply) {
    return impl_->write(gw, reply.received,
                        "INSERT INTO command_replies(gateway, nonce, verb, ok, reason, ts_ms, "
                        "result, received_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        [&](sqlite::Stmt& st) {
                            if (reply.nonce)
                                st.bind(2, *reply.nonce);
                            else
                                st.bind_null(2);
                            st.bind(3, reply.verb)
                                .bind(4, int64_t{reply.ok ? 1 : 0})
                                .bind(5, reply.reason)
                                .bind(6, reply.ts)
                                .bind(7, reply.result)
                                .bind(8, reply.received);
                        });
}

Result<void> SqliteStore::record_test_alarm(const GatewayRef& gw, const TestAlarmRecord& test) {
    return impl_->write(gw, test.received,
                        "INSERT INTO test_alarms(gateway, id, asset, by_whom, note, ts_ms, "
                        "received_ms, seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                        "ON CONFLICT(gateway) DO UPDATE SET id = excluded.id, asset = "
                        "excluded.asset, by_whom = excluded.by_whom, note = excluded.note, ts_ms "
                        "= excluded.ts_ms, received_ms = excluded.received_ms, seq = excluded.seq "
                        "WHERE excluded.ts_ms > test_alarms.ts_ms",
                        [&](sqlite::Stmt& st) {
                            st.bind(2, test.id)
                                .bind(3, test.asset)
                                .bind(4, test.by)
                                .bind(5, test.note)
                                .bind(6, test.ts)
                                .bind(7, test.received)
                                .bind(8, static_cast<int64_t>(test.seq));
                        });
}

Result<void> SqliteStore::record_power(const GatewayRef& gw,
                                       const std::vector<PowerMinute>& minutes, WallMs keep_from) {
    sqlite::Transaction tx(impl_->db);
    if (auto b = tx.begun(); !b) return b;
    auto gid = impl_->id(gw, true, wall_now_ms());
    if (!gid) return failed(gid);
    auto merge = impl_->db.prepare(
        "INSERT INTO power_minutes(gateway, minute_ms, meter, n, sum_w, min_w, max_w) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(gateway, minute_ms, meter) DO UPDATE SET "
        "  n = n + excluded.n, sum_w = sum_w + excluded.sum_w, "
        "  min_w = min(min_w, excluded.min_w), max_w = max(max_w, excluded.max_w)");
    if (!merge) return failed(merge);
    for (const auto& m : minutes) {
        if (m.minute < keep_from) continue;
        merge->bind(1, *gid)
            .bind(2, m.minute)
            .bind(3, m.meter)
            .bind(4, m.n)
            .bind(5, m.sum_w)
            .bind(6, m.min_w)
            .bind(7, m.max_w);
        if (auto r = merge->run(); !r) return r;
    }
    auto expire =
        impl_->db.prepare("DELETE FROM power_minutes WHERE gateway = ?1 AND minute_ms < ?2");
    if (!expire) return failed(expire);
    expire->bind(1, *gid).bind(2, keep_from);
    if (auto r = expire->run(); !r) return r;
    return tx.commit();
}

Result<std::vector<PowerMinute>> SqliteStore::power(const GatewayRef& gw, WallMs from, WallMs to) {
    std::vector<PowerMinute> out;
    auto done = impl_->query(
        "SELECT p.meter, p.minute_ms, p.n, p.sum_w, p.min_w, p.max_w FROM power_minutes p "
        "JOIN gateways g ON g.id = p.gateway WHERE g.site = ?1 AND g.gateway = ?2 "
        "AND p.minute_ms >= ?3 AND p.minute_ms < ?4 ORDER BY p.meter, p.minute_ms",
        [&](sqlite::Stmt& st) {
            st.bind(1, gw.site).bind(2, gw.gateway).bind(3, from).bind(4, to);
        },
        [&](const sqlite::Stmt& r) {
            out.push_back({r.text(0), r.int64(1), r.int64(2), r.real(3), r.real(4), r.real(5)});
        });
    if (!done) return failed(done);
    return out;
}

Result<std::optional<StatusRecord>> SqliteStore::status(const GatewayRef& gw) {
    std::optional<StatusRecord> out;
    auto done = impl_->query(
        "SELECT status_online, status_ts_ms, status_version, status_boot, status_received_ms "
        "FROM gateways WHERE site = ?1 AND gateway = ?2 AND status_online IS NOT NULL",
        [&](sqlite::Stmt& st) { st.bind(1, gw.site).bind(2, gw.gateway); },
        [&](const sqlite::Stmt& r) {
            out = StatusRecord{r.int64(0) != 0, r.int64(1), r.text(2), r.int64(3), r.int64(4)};
        });
    if (!done) return failed(done);
    return out;
}

Result<ChainRecord> SqliteStore::chain(const GatewayRef& gw) {
    ChainRecord c;  // unverified, nothing pinned: an unknown gateway
    auto done = impl_->query(
        "SELECT chain_state, chain_key, chain_fingerprint, chain_n, chain_head, chain_ts_ms, "
        "chain_reason FROM gateways WHERE site = ?1 AND gateway = ?2",
        [&](sqlite::Stmt& st) { st.bind(1, gw.site).bind(2, gw.gateway); },
        [&](const sqlite::Stmt& r) {
            c.state = chain_state_from(r.text(0));
            if (!r.is_null(1)) c.pinned_key = to_array<32>(r.blob(1));
            c.fingerprint = r.text(2);
            c.last_n = r.int64(3);
            if (!r.is_null(4)) c.last_head = to_array<32>(r.blob(4));
            c.last_ts = r.int64(5);
            c.reason = r.text(6);
        });
    if (!done) return failed(done);
    return c;
}

Result<std::optional<HeadRecord>> SqliteStore::head_at(const GatewayRef& gw, int64_t n) {
    std::optional<HeadRecord> out;
    auto done = impl_->query(
        "SELECT h.head, h.ts, h.received_ms FROM chain_heads h JOIN gateways g "
        "ON g.id = h.gateway WHERE g.site = ?1 AND g.gateway = ?2 AND h.n = ?3",
        [&](sqlite::Stmt& st) { st.bind(1, gw.site).bind(2, gw.gateway).bind(3, n); },
        [&](const sqlite::Stmt& r) {
            out = HeadRecord{n, to_array<32>(r.blob(0)), r.text(1), r.int64(2)};
        });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<GatewaySummary>> SqliteStore::gateways() {
    std::vector<GatewaySummary> out;
    auto done = impl_->query(
        "SELECT g.site, g.gateway, g.first_seen_ms, g.last_message_ms, g.status_online, "
        "  g.status_ts_ms, g.status_version, g.status_boot, g.status_received_ms, "
        "  coalesce((SELECT sum(last - first + 1) FROM seq_ranges WHERE gateway = g.id), 0), "
        "  coalesce((SELECT sum(last - first + 1) FROM seq_gaps WHERE gateway = g.id), 0), "
        "  coalesce((SELECT max(last) FROM seq_ranges WHERE gateway = g.id), 0), "
        "  (SELECT count(*) FROM alarms WHERE gateway = g.id AND cleared_ms IS NULL), "
        "  g.chain_state, t.id, t.asset, t.by_whom, t.note, t.ts_ms, t.received_ms, t.seq "
        "FROM gateways g LEFT JOIN test_alarms t ON t.gateway = g.id "
        "ORDER BY g.site, g.gateway",
        [](sqlite::Stmt&) {},
        [&](const sqlite::Stmt& r) {
            GatewaySummary s;
            s.gw = {r.text(0), r.text(1)};
            s.first_seen = r.int64(2);
            s.last_message = r.int64(3);
            if (!r.is_null(4))
                s.status =
                    StatusRecord{r.int64(4) != 0, r.int64(5), r.text(6), r.int64(7), r.int64(8)};
            s.received = static_cast<uint64_t>(r.int64(9));
            s.missing = static_cast<uint64_t>(r.int64(10));
            s.last_seq = static_cast<uint64_t>(r.int64(11));
            s.open_alarms = r.int64(12);
            s.chain = chain_state_from(r.text(13));
            if (!r.is_null(14))
                s.last_test_alarm = TestAlarmRecord{r.text(14),
                                                    r.text(15),
                                                    r.text(16),
                                                    r.text(17),
                                                    r.int64(18),
                                                    r.int64(19),
                                                    static_cast<uint64_t>(r.int64(20))};
            out.push_back(std::move(s));
        });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<GatewayGaps>> SqliteStore::gaps() {
    std::vector<GatewayGaps> out;
    auto done = impl_->query(
        "SELECT g.site, g.gateway, "
        "  coalesce((SELECT max(last) FROM seq_ranges WHERE gateway = g.id), 0), "
        "  s.first, s.last, s.opened_ms "
        "FROM gateways g LEFT JOIN seq_gaps s ON s.gateway = g.id "
        "ORDER BY g.site, g.gateway, s.first",
        [](sqlite::Stmt&) {},
        [&](const sqlite::Stmt& r) {
            GatewayRef gw{r.text(0), r.text(1)};
            if (out.empty() || !(out.back().gw == gw))
                out.push_back({gw, static_cast<uint64_t>(r.int64(2)), {}});
            if (!r.is_null(3))
                out.back().gaps.push_back({static_cast<uint64_t>(r.int64(3)),
                                           static_cast<uint64_t>(r.int64(4)), r.int64(5)});
        });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<AlarmRecord>> SqliteStore::alarms(bool include_cleared) {
    std::vector<AlarmRecord> out;
    auto done = impl_->query(
        "SELECT g.site, g.gateway, a.id, a.type, a.severity, a.asset, a.meter, a.started_ms, "
        "  a.raised_ms, a.cleared_ms, a.received_ms, a.details "
        "FROM alarms a JOIN gateways g ON g.id = a.gateway "
        "WHERE ?1 OR a.cleared_ms IS NULL "
        "ORDER BY g.site, g.gateway, a.received_ms, a.id",
        [&](sqlite::Stmt& st) { st.bind(1, int64_t{include_cleared ? 1 : 0}); },
        [&](const sqlite::Stmt& r) { out.push_back(Impl::alarm_row(r)); });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<ReplyRecord>> SqliteStore::replies(const GatewayRef& gw) {
    std::vector<ReplyRecord> out;
    auto done = impl_->query(
        "SELECT r.nonce, r.verb, r.ok, r.reason, r.ts_ms, r.result, r.received_ms "
        "FROM command_replies r JOIN gateways g ON g.id = r.gateway "
        "WHERE g.site = ?1 AND g.gateway = ?2 ORDER BY r.id",
        [&](sqlite::Stmt& st) { st.bind(1, gw.site).bind(2, gw.gateway); },
        [&](const sqlite::Stmt& r) {
            ReplyRecord reply;
            if (!r.is_null(0)) reply.nonce = r.text(0);
            reply.verb = r.text(1);
            reply.ok = r.int64(2) != 0;
            reply.reason = r.text(3);
            reply.ts = r.int64(4);
            reply.result = r.text(5);
            reply.received = r.int64(6);
            out.push_back(std::move(reply));
        });
    if (!done) return failed(done);
    return out;
}

}  // namespace sealwatch::county
