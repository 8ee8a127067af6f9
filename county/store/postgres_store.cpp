#include "county/store/postgres_store.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <span>
#include <thread>
#include <tuple>

#include "common/log.hpp"
#include "county/store/alarm_merge.hpp"
#include "county/store/pg.hpp"

namespace sealwatch::county {

namespace {

// Migration N takes the schema from version N-1 to N. Append; never edit a shipped one.
// The same tables as the SQLite store's (sqlite_store.cpp), in PostgreSQL's types.
constexpr const char* kMigrations[] = {
    // 1: gateways with their last status and chain verdict, the seq ledger as ranges and its
    //    gaps, alarms by id, every chain head received, command replies.
    R"sql(
    -- btree_gist: the exclusion constraint on seq_ranges compares the gateway with = in a GiST
    -- index. A trusted extension: the database's owner may create it.
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    CREATE TABLE gateways(
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site text NOT NULL,
        gateway text NOT NULL,
        first_seen_ms bigint NOT NULL,
        last_message_ms bigint NOT NULL DEFAULT 0,
        status_online boolean,
        status_ts_ms bigint NOT NULL DEFAULT 0,
        status_version text NOT NULL DEFAULT '',
        status_boot bigint NOT NULL DEFAULT 0,
        status_received_ms bigint NOT NULL DEFAULT 0,
        chain_state text NOT NULL DEFAULT 'unverified',
        chain_key bytea,
        chain_fingerprint text NOT NULL DEFAULT '',
        chain_n bigint NOT NULL DEFAULT 0,
        chain_head bytea,
        chain_ts_ms bigint NOT NULL DEFAULT 0,
        chain_reason text NOT NULL DEFAULT '',
        UNIQUE(site, gateway));
    -- The seqs received, as inclusive ranges: a billion messages in order are one row. No seq
    -- in two ranges of one gateway (the exclusion constraint): UNIQUE (gateway, seq) for ranges.
    CREATE TABLE seq_ranges(
        gateway bigint NOT NULL REFERENCES gateways(id),
        first bigint NOT NULL,
        last bigint NOT NULL,
        PRIMARY KEY(gateway, first),
        CHECK(first >= 1 AND last >= first),
        EXCLUDE USING gist(gateway WITH =, int8range(first, last, '[]') WITH &&));
    CREATE TABLE seq_gaps(
        gateway bigint NOT NULL REFERENCES gateways(id),
        first bigint NOT NULL,
        last bigint NOT NULL,
        opened_ms bigint NOT NULL,
        PRIMARY KEY(gateway, first));
    CREATE TABLE alarms(
        gateway bigint NOT NULL REFERENCES gateways(id),
        id text NOT NULL,
        type text NOT NULL,
        severity text NOT NULL,
        asset text NOT NULL,
        meter text NOT NULL,
        started_ms bigint NOT NULL,
        raised_ms bigint NOT NULL,
        cleared_ms bigint,
        received_ms bigint NOT NULL,
        details text NOT NULL,
        PRIMARY KEY(gateway, id));
    CREATE INDEX alarms_open ON alarms(gateway) WHERE cleared_ms IS NULL;
    CREATE TABLE chain_heads(
        gateway bigint NOT NULL REFERENCES gateways(id),
        n bigint NOT NULL,
        head bytea NOT NULL,
        ts text NOT NULL,
        received_ms bigint NOT NULL,
        PRIMARY KEY(gateway, n));
    CREATE TABLE command_replies(
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        gateway bigint NOT NULL REFERENCES gateways(id),
        nonce text,
        verb text NOT NULL,
        ok boolean NOT NULL,
        reason text NOT NULL,
        ts_ms bigint NOT NULL,
        result text NOT NULL,
        received_ms bigint NOT NULL);
    CREATE INDEX command_replies_gateway ON command_replies(gateway, id);
    )sql",
    // 2: the power series of the web page's timeline, as in SQLite's migration 2.
    R"sql(
    CREATE TABLE power_minutes(
        gateway bigint NOT NULL REFERENCES gateways(id),
        minute_ms bigint NOT NULL,
        meter text NOT NULL,
        n bigint NOT NULL,
        sum_w double precision NOT NULL,
        min_w double precision NOT NULL,
        max_w double precision NOT NULL,
        PRIMARY KEY(gateway, minute_ms, meter));
    )sql",
    // 3: each gateway's last test event, as in SQLite's migration 3.
    R"sql(
    CREATE TABLE test_alarms(
        gateway bigint PRIMARY KEY REFERENCES gateways(id),
        id text NOT NULL,
        asset text NOT NULL,
        by_whom text NOT NULL,
        note text NOT NULL,
        ts_ms bigint NOT NULL,
        received_ms bigint NOT NULL,
        seq bigint NOT NULL);
    )sql",
};

// The schema's version: one row, made by the first migration run.
constexpr const char* kVersionTable = "county_schema";
// Instances starting at once migrate one after the other (pg_advisory_xact_lock's key: "swcounty").
constexpr int64_t kMigrationLock = 0x7377636f756e7479;

constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMostBackoff = std::chrono::seconds(5);

template <typename T>
tl::unexpected<Error> failed(const Result<T>& r) {
    return tl::unexpected(r.error());
}

template <size_t N>
std::array<uint8_t, N> to_array(const std::vector<uint8_t>& blob) {
    std::array<uint8_t, N> out{};
    if (blob.size() == N) std::copy(blob.begin(), blob.end(), out.begin());
    return out;
}

std::span<const uint8_t> bytes(const auto& array) {
    return {array.data(), array.size()};
}

ChainState chain_state_from(const std::string& text) {
    if (text == "verified") return ChainState::verified;
    if (text == "broken") return ChainState::broken;
    return ChainState::unverified;
}

uint64_t seq_at(const pg::Rows& rows, int row, int col) {
    return static_cast<uint64_t>(rows.integer(row, col));
}

// What is in `from` and not in `to`, both in the order of `key` (the ledger gives ranges and
// gaps in seq order, and they are disjoint, so by (first, last, …) too; the queries read them so).
template <typename T, typename Key>
std::vector<T> minus(const std::vector<T>& from, const std::vector<T>& to, Key key) {
    std::vector<T> out;
    std::set_difference(from.begin(), from.end(), to.begin(), to.end(), std::back_inserter(out),
                        [&](const T& a, const T& b) { return key(a) < key(b); });
    return out;
}

auto range_key(const SeqRange& r) {
    return std::tuple(r.first, r.last);
}

auto gap_key(const SeqGap& g) {
    return std::tuple(g.first, g.last, g.opened);
}

}  // namespace

struct PostgresStore::Impl {
    pg::Connection conn;
    const std::atomic<bool>* keep_trying = nullptr;
    std::chrono::steady_clock::time_point outage_since{};
    bool in_outage = false;

    bool may_retry() const { return keep_trying != nullptr && keep_trying->load(); }

    // Waits `d`, or less when told to stop trying.
    void pause(std::chrono::milliseconds d) const {
        const auto until = std::chrono::steady_clock::now() + d;
        while (may_retry() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }  // BEGIN; work(conn); COMMIT (or work alone, when it is one statement: atomic by itself, and
    // two round trips fewer), tried again on a new connection while the failure is the
    // connection's (pg::Connection::transient_failure) and the caller keeps trying.
    enum class Statements { several, one };
    template <typename Work>
    auto transaction(Work work, Statements statements = Statements::several)
        -> decltype(work(conn)) {
        auto backoff = std::chrono::milliseconds(kFirstBackoff);
        bool reconnected_once = false;
        for (;;) {
            auto result = attempt(work, statements);
            if (result) {
                if (in_outage) {
                    const auto s = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - outage_since);
                    log::info("county: PostgreSQL is back after ", s.count(), " s");
                    in_outage = false;
                }
                return result;
            }
            if (!conn.transient_failure()) return result;
            if (!may_retry()) {
                // One more try on a fresh connection: a server restarted between two calls.
                if (reconnected_once) return result;
                reconnected_once = true;
                continue;
            }
            if (!in_outage) {
                log::warning("county: ", result.error().message,
                             "; trying again with backoff until it answers");
                in_outage = true;
                outage_since = std::chrono::steady_clock::now();
            }
            pause(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(kMostBackoff));
        }
    }

    template <typename Work>
    auto attempt(Work& work, Statements statements) -> decltype(work(conn)) {
        if (!conn.ok()) {
            if (auto r = conn.reset(); !r) return tl::unexpected(r.error());
        }
        if (statements == Statements::one) {
            // One statement, or work that sends its own BEGIN and COMMIT (record_seq).
            auto result = work(conn);
            if (!result && conn.in_transaction()) (void)conn.run("ROLLBACK");
            return result;
        }
        if (auto r = conn.run("BEGIN"); !r) return tl::unexpected(r.error());
        auto result = work(conn);
        if (!result) {
            (void)conn.run("ROLLBACK");  // keeps transient_failure() as the work's failure set it
            return result;
        }
        if (auto r = conn.run("COMMIT"); !r) return tl::unexpected(r.error());
        return result;
    }

    // The gateway's row id, made (first seen at `received`) when unknown. `lock`: and its row
    // locked until the transaction ends (the ledger's turn; see postgres_store.hpp).
    static Result<int64_t> gateway_id(pg::Connection& c, const GatewayRef& gw, WallMs received,
                                      bool lock) {
        const char* find = lock ? "SELECT id FROM gateways WHERE site = $1 AND gateway = $2 "
                                  "FOR NO KEY UPDATE"
                                : "SELECT id FROM gateways WHERE site = $1 AND gateway = $2";
        auto by_name = pg::Params().text(gw.site).text(gw.gateway);
        auto row = c.exec(find, by_name);
        if (!row) return failed(row);
        if (row->size() == 1) return row->integer(0, 0);
        // Two instances may meet here for a new gateway: one inserts, the other's insert does
        // nothing once the first commits, and both find the row on the second look (READ
        // COMMITTED: a new statement sees what was committed before it).
        auto add = c.run(
            "INSERT INTO gateways(site, gateway, first_seen_ms) VALUES($1, $2, $3) "
            "ON CONFLICT(site, gateway) DO NOTHING",
            pg::Params().text(gw.site).text(gw.gateway).integer(received));
        if (!add) return failed(add);
        row = c.exec(find, by_name);
        if (!row) return failed(row);
        if (row->size() != 1) return fail("gateway " + gw.site + "/" + gw.gateway + " not made");
        return row->integer(0, 0);
    }  // One statement on one gateway's row: $1 and $2 are its site and id (the statement finds
    // the row by them), `params` the rest. Usually the gateway is known and the statement is
    // all (one round trip); when it changed nothing, the gateway may be new: made, and the
    // statement run again, in one transaction.
    Result<void> write(const GatewayRef& gw, WallMs received, const char* sql,
                       const pg::Params& params) {
        pg::Params all = pg::Params().text(gw.site).text(gw.gateway);
        all.append(params);
        auto changed = transaction(
            [&](pg::Connection& c) -> Result<int64_t> {
                auto rows = c.exec(sql, all);
                if (!rows) return failed(rows);
                return rows->affected();
            },
            Statements::one);
        if (!changed) return failed(changed);
        if (*changed > 0) return {};
        return transaction([&](pg::Connection& c) -> Result<void> {
            auto gid = gateway_id(c, gw, received, false);
            if (!gid) return failed(gid);
            return c.run(sql, all);
        });
    }

    // A query's rows, each handed to on_row(rows, i).
    template <typename OnRow>
    Result<void> query(const char* sql, const pg::Params& params, OnRow on_row) {
        return transaction(
            [&](pg::Connection& c) -> Result<void> {
                auto rows = c.exec(sql, params);
                if (!rows) return failed(rows);
                for (int i = 0; i < rows->size(); ++i) on_row(*rows, i);
                return {};
            },
            Statements::one);
    }

    static Result<void> migrate(pg::Connection& c);
    static Result<void> check_version(pg::Connection& c);

    static AlarmRecord alarm_row(const pg::Rows& r, int i) {
        AlarmRecord a;
        a.gw = {r.text(i, 0), r.text(i, 1)};
        a.id = r.text(i, 2);
        a.type = r.text(i, 3);
        a.severity = r.text(i, 4);
        a.asset = r.text(i, 5);
        a.meter = r.text(i, 6);
        a.started = r.integer(i, 7);
        a.raised = r.integer(i, 8);
        if (!r.is_null(i, 9)) a.cleared = r.integer(i, 9);
        a.received = r.integer(i, 10);
        a.details = r.text(i, 11);
        return a;
    }
};

Result<void> PostgresStore::Impl::migrate(pg::Connection& c) {
    const auto newest = static_cast<int64_t>(std::size(kMigrations));
    if (auto r = c.run("SELECT pg_advisory_xact_lock($1)", pg::Params().integer(kMigrationLock));
        !r)
        return r;
    if (auto r = c.run(std::string("CREATE TABLE IF NOT EXISTS ") + kVersionTable +
                       "(version integer NOT NULL)");
        !r)
        return r;
    auto row = c.exec(std::string("SELECT version FROM ") + kVersionTable);
    if (!row) return failed(row);
    const int64_t version = row->size() == 0 ? 0 : row->integer(0, 0);
    if (version > newest)
        return fail("database schema version " + std::to_string(version) +
                    " is newer than this build (" + std::to_string(newest) + ")");
    for (int64_t v = version + 1; v <= newest; ++v) {
        if (auto r = c.script(kMigrations[v - 1]); !r)
            return fail("migration " + std::to_string(v) + ": " + r.error().message);
    }
    if (version == newest) return {};
    return c.run(std::string(version == 0 ? "INSERT INTO " : "UPDATE ") + kVersionTable +
                     (version == 0 ? "(version) VALUES($1)" : " SET version = $1"),
                 pg::Params().integer(newest));
}

Result<void> PostgresStore::Impl::check_version(pg::Connection& c) {
    auto exists = c.exec("SELECT to_regclass($1) IS NOT NULL", pg::Params().text(kVersionTable));
    if (!exists) return failed(exists);
    if (!exists->boolean(0, 0))
        return fail("not a sealwatch-county database yet (has `run` started?)");
    auto row = c.exec(std::string("SELECT version FROM ") + kVersionTable);
    if (!row) return failed(row);
    const int64_t version = row->size() == 0 ? 0 : row->integer(0, 0);
    const auto newest = static_cast<int64_t>(std::size(kMigrations));
    if (version == 0) return fail("not a sealwatch-county database yet (has `run` started?)");
    if (version > newest)
        return fail("database schema version " + std::to_string(version) +
                    " is newer than this build (" + std::to_string(newest) + ")");
    return {};
}

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const Options& options) {
    auto conn = pg::Connection::open(options.conninfo);
    if (!conn) return failed(conn);
    auto impl = std::make_unique<Impl>();
    impl->conn = std::move(*conn);
    impl->keep_trying = options.keep_trying;
    if (options.mode == Mode::read_only) {
        if (auto r = impl->conn.run("SET default_transaction_read_only = on"); !r) return failed(r);
    }
    auto ready = impl->transaction([&](pg::Connection& c) {
        return options.mode == Mode::read_write ? Impl::migrate(c) : Impl::check_version(c);
    });
    if (!ready) return failed(ready);
    return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Result<void> PostgresStore::touch(const GatewayRef& gw, WallMs received) {
    return impl_->write(gw, received,
                        "UPDATE gateways SET last_message_ms = greatest(last_message_ms, $3) "
                        "WHERE site = $1 AND gateway = $2",
                        pg::Params().integer(received));
}

Result<void> PostgresStore::know(const GatewayRef& gw, WallMs received) {
    bool known = false;
    auto found = impl_->query("SELECT 1 FROM gateways WHERE site = $1 AND gateway = $2",
                              pg::Params().text(gw.site).text(gw.gateway),
                              [&](const pg::Rows&, int) { known = true; });
    if (!found) return failed(found);
    if (known) return {};
    return impl_->transaction([&](pg::Connection& c) -> Result<void> {
        auto gid = Impl::gateway_id(c, gw, received, false);
        if (!gid) return failed(gid);
        return {};
    });
}

Result<void> PostgresStore::record_status(const GatewayRef& gw, const StatusRecord& status) {
    return impl_->write(gw, status.received,
                        "UPDATE gateways SET status_online = $3, status_ts_ms = $4, "
                        "status_version = $5, status_boot = $6, status_received_ms = $7 "
                        "WHERE site = $1 AND gateway = $2",
                        pg::Params()
                            .boolean(status.online)
                            .integer(status.ts)
                            .text(status.version)
                            .integer(status.boot)
                            .integer(status.received));
}

Result<SeqLedger::Added> PostgresStore::record_seq(const GatewayRef& gw, uint64_t seq,
                                                   WallMs received) {
    // The gateway's row lock first: from there to COMMIT no other instance reads or writes this
    // gateway's ledger, so the read-change-write below cannot lose a range. Its ranges and gaps
    // are read by a later statement than the lock's, so they are what the last holder committed.
    static const char* const lock =
        "SELECT id FROM gateways WHERE site = $1 AND gateway = $2 FOR NO KEY UPDATE";
    // Kind 'r' (range) or 'g' (gap), then by seq.
    static const char* const read =
        "SELECT 'r', r.first, r.last, 0 FROM seq_ranges r JOIN gateways g ON g.id = r.gateway "
        "WHERE g.site = $1 AND g.gateway = $2 UNION ALL "
        "SELECT 'g', s.first, s.last, s.opened_ms FROM seq_gaps s JOIN gateways g "
        "ON g.id = s.gateway WHERE g.site = $1 AND g.gateway = $2 ORDER BY 1, 2";
    const auto by_name = pg::Params().text(gw.site).text(gw.gateway);
    return impl_->transaction(
        [&](pg::Connection& c) -> Result<SeqLedger::Added> {
            // BEGIN, lock and read in one round trip; a new gateway is made first.
            auto start = c.pipeline({{"BEGIN", {}}, {lock, by_name}, {read, by_name}});
            if (!start) return failed(start);
            int64_t gid = 0;
            pg::Rows* rows = &(*start)[2];
            std::optional<pg::Rows> again;
            if ((*start)[1].size() == 1) {
                gid = (*start)[1].integer(0, 0);
            } else {
                auto made = Impl::gateway_id(c, gw, received, true);
                if (!made) return failed(made);
                gid = *made;
                auto reread = c.exec(read, by_name);  // another instance may have made it first
                if (!reread) return failed(reread);
                again = std::move(*reread);
                rows = &*again;
            }
            std::vector<SeqRange> ranges_before;
            std::vector<SeqGap> gaps_before;
            for (int i = 0; i < rows->size(); ++i) {
                if (rows->text(i, 0) == "r")
                    ranges_before.push_back({seq_at(*rows, i, 1), seq_at(*rows, i, 2)});
                else
                    gaps_before.push_back(
                        {seq_at(*rows, i, 1), seq_at(*rows, i, 2), rows->integer(i, 3)});
            }

            auto ledger = SeqLedger::restore(ranges_before, gaps_before, received);
            const auto added = ledger.add(seq, received);
            if (added != SeqLedger::Added::fresh) {
                if (auto r = c.run("COMMIT"); !r) return failed(r);
                return added;
            }

            // Only the rows that changed (usually one range grows by one), deleted first so that
            // the exclusion constraint never sees the old and the new range of one seq side by
            // side; and the COMMIT, all in one round trip.
            const auto ranges_after = ledger.ranges();
            const auto gaps_after = ledger.gaps();
            std::vector<pg::Statement> writes;
            auto key = [&](uint64_t first) {
                return pg::Params().integer(gid).integer(static_cast<int64_t>(first));
            };
            for (const auto& r : minus(ranges_before, ranges_after, range_key))
                writes.push_back(
                    {"DELETE FROM seq_ranges WHERE gateway = $1 AND first = $2", key(r.first)});
            for (const auto& g : minus(gaps_before, gaps_after, gap_key))
                writes.push_back(
                    {"DELETE FROM seq_gaps WHERE gateway = $1 AND first = $2", key(g.first)});
            for (const auto& r : minus(ranges_after, ranges_before, range_key))
                writes.push_back({"INSERT INTO seq_ranges(gateway, first, last) VALUES($1, $2, $3)",
                                  key(r.first).integer(static_cast<int64_t>(r.last))});
            for (const auto& g : minus(gaps_after, gaps_before, gap_key))
                writes.push_back(
                    {"INSERT INTO seq_gaps(gateway, first, last, opened_ms) VALUES($1, $2, $3, $4)",
                     key(g.first).integer(static_cast<int64_t>(g.last)).integer(g.opened)});
            writes.push_back({"COMMIT", {}});
            if (auto w = c.pipeline(writes); !w) return failed(w);
            return added;
        },
        Impl::Statements::one);
}

Result<void> PostgresStore::record_alarm(const AlarmRecord& a) {
    // One statement (county/store/alarm_merge.hpp): two instances upserting one id at once take
    // turns on its row.
    static const std::string upsert =
        std::string(
            "INSERT INTO alarms(gateway, id, type, severity, asset, meter, started_ms, "
            "raised_ms, cleared_ms, received_ms, details) "
            "SELECT id, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, "
            "$9::bigint, $10::bigint, $11::bigint, $12::text "
            "FROM gateways WHERE site = $1 AND gateway = $2 "
            "ON CONFLICT(gateway, id) DO UPDATE SET ") +
        kAlarmMergeSet;
    return impl_->write(a.gw, a.received, upsert.c_str(),
                        pg::Params()
                            .text(a.id)
                            .text(a.type)
                            .text(a.severity)
                            .text(a.asset)
                            .text(a.meter)
                            .integer(a.started)
                            .integer(a.raised)
                            .optional(a.cleared)
                            .integer(a.received)
                            .text(a.details));
}

Result<void> PostgresStore::record_head(const GatewayRef& gw, const HeadRecord& head) {
    return impl_->write(
        gw, head.received,
        "INSERT INTO chain_heads(gateway, n, head, ts, received_ms) "
        "SELECT id, $3::bigint, $4::bytea, $5::text, $6::bigint FROM gateways "
        "WHERE site = $1 AND gateway = $2 ON CONFLICT(gateway, n) DO NOTHING",
        pg::Params().integer(head.n).bytes(bytes(head.head)).text(head.ts).integer(head.received));
}

Result<void> PostgresStore::set_chain(const GatewayRef& gw, const ChainRecord& c) {
    auto params = pg::Params().text(to_string(c.state));
    if (c.pinned_key)
        params.bytes(bytes(*c.pinned_key));
    else
        params.null();
    params.text(c.fingerprint)
        .integer(c.last_n)
        .bytes(bytes(c.last_head))
        .integer(c.last_ts)
        .text(c.reason);
    return impl_->write(gw, wall_now_ms(),
                        "UPDATE gateways SET chain_state = $3, chain_key = $4, "
                        "chain_fingerprint = $5, chain_n = $6, chain_head = $7, "
                        "chain_ts_ms = $8, chain_reason = $9 WHERE site = $1 AND gateway = $2",
                        params);
}

Result<void> PostgresStore::record_reply(const GatewayRef& gw, const ReplyRecord& reply) {
    return impl_->write(gw, reply.received,
                        "INSERT INTO command_replies(gateway, nonce, verb, ok, reason, ts_ms, "
                        "result, received_ms) SELECT id, $3::text, $4::text, $5::boolean, "
                        "$6::text, $7::bigint, $8::text, $9::bigint FROM gateways "
                        "WHERE site = $1 AND gateway = $2",
                        pg::Params()
                            .optional(reply.nonce)
                            .text(reply.verb)
                            .boolean(reply.ok)
                            .text(reply.reason)
                            .integer(reply.ts)
                            .text(reply.result)
                            .integer(reply.received));
}

Result<void> PostgresStore::record_test_alarm(const GatewayRef& gw, const TestAlarmRecord& test) {
    return impl_->write(gw, test.received,
                        "INSERT INTO test_alarms(gateway, id, asset, by_whom, note, ts_ms, "
                        "received_ms, seq) SELECT id, $3::text, $4::text, $5::text, $6::text, "
                        "$7::bigint, $8::bigint, $9::bigint FROM gateways "
                        "WHERE site = $1 AND gateway = $2 "
                        "ON CONFLICT(gateway) DO UPDATE SET id = excluded.id, asset = "
                        "excluded.asset, by_whom = excluded.by_whom, note = excluded.note, ts_ms "
                        "= excluded.ts_ms, received_ms = excluded.received_ms, seq = excluded.seq "
                        "WHERE excluded.ts_ms > test_alarms.ts_ms",
                        pg::Params()
                            .text(test.id)
                            .text(test.asset)
                            .text(test.by)
                            .text(test.note)
                            .integer(test.ts)
                            .integer(test.received)
                            .integer(static_cast<int64_t>(test.seq)));
}

Result<void> PostgresStore::record_power(const GatewayRef& gw,
                                         const std::vector<PowerMinute>& minutes,
                                         WallMs keep_from) {
    // Not idempotent over a retried COMMIT (a minute's n and sum would count twice): the chart
    // may then show one message's minutes too high; the seq ledger, which proves, stays exact.
    // Two round trips whatever the number of minutes: BEGIN with the gateway's id, then every
    // minute's merge, the trim and COMMIT as one pipeline.
    return impl_->transaction(
        [&](pg::Connection& c) -> Result<void> {
            auto start = c.pipeline({{"BEGIN", {}},
                                     {"SELECT id FROM gateways WHERE site = $1 AND gateway = $2",
                                      pg::Params().text(gw.site).text(gw.gateway)}});
            if (!start) return failed(start);
            int64_t gid = 0;
            if ((*start)[1].size() == 1) {
                gid = (*start)[1].integer(0, 0);
            } else {
                auto made = Impl::gateway_id(c, gw, wall_now_ms(), false);
                if (!made) return failed(made);
                gid = *made;
            }
            std::vector<pg::Statement> writes;
            for (const auto& m : minutes) {
                if (m.minute < keep_from) continue;
                writes.push_back(
                    {"INSERT INTO power_minutes AS p(gateway, minute_ms, meter, n, sum_w, min_w, "
                     "max_w) VALUES($1, $2, $3, $4, $5, $6, $7) "
                     "ON CONFLICT(gateway, minute_ms, meter) DO UPDATE SET "
                     "  n = p.n + excluded.n, sum_w = p.sum_w + excluded.sum_w, "
                     "  min_w = least(p.min_w, excluded.min_w), max_w = greatest(p.max_w, "
                     "excluded.max_w)",
                     pg::Params()
                         .integer(gid)
                         .integer(m.minute)
                         .text(m.meter)
                         .integer(m.n)
                         .real(m.sum_w)
                         .real(m.min_w)
                         .real(m.max_w)});
            }
            writes.push_back({"DELETE FROM power_minutes WHERE gateway = $1 AND minute_ms < $2",
                              pg::Params().integer(gid).integer(keep_from)});
            writes.push_back({"COMMIT", {}});
            if (auto w = c.pipeline(writes); !w) return failed(w);
            return {};
        },
        Impl::Statements::one);
}

Result<std::vector<PowerMinute>> PostgresStore::power(const GatewayRef& gw, WallMs from,
                                                      WallMs to) {
    std::vector<PowerMinute> out;
    auto done = impl_->query(
        "SELECT p.meter, p.minute_ms, p.n, p.sum_w, p.min_w, p.max_w FROM power_minutes p "
        "JOIN gateways g ON g.id = p.gateway WHERE g.site = $1 AND g.gateway = $2 "
        "AND p.minute_ms >= $3 AND p.minute_ms < $4 ORDER BY p.meter COLLATE \"C\", p.minute_ms",
        pg::Params().text(gw.site).text(gw.gateway).integer(from).integer(to),
        [&](const pg::Rows& r, int i) {
            out.push_back({r.text(i, 0), r.integer(i, 1), r.integer(i, 2), r.real(i, 3),
                           r.real(i, 4), r.real(i, 5)});
        });
    if (!done) return failed(done);
    return out;
}

Result<std::optional<StatusRecord>> PostgresStore::status(const GatewayRef& gw) {
    std::optional<StatusRecord> out;
    auto done = impl_->query(
        "SELECT status_online, status_ts_ms, status_version, status_boot, status_received_ms "
        "FROM gateways WHERE site = $1 AND gateway = $2 AND status_online IS NOT NULL",
        pg::Params().text(gw.site).text(gw.gateway), [&](const pg::Rows& r, int i) {
            out = StatusRecord{r.boolean(i, 0), r.integer(i, 1), r.text(i, 2), r.integer(i, 3),
                               r.integer(i, 4)};
        });
    if (!done) return failed(done);
    return out;
}

Result<ChainRecord> PostgresStore::chain(const GatewayRef& gw) {
    ChainRecord c;  // unverified, nothing pinned: an unknown gateway
    auto done = impl_->query(
        "SELECT chain_state, chain_key, chain_fingerprint, chain_n, chain_head, chain_ts_ms, "
        "chain_reason FROM gateways WHERE site = $1 AND gateway = $2",
        pg::Params().text(gw.site).text(gw.gateway), [&](const pg::Rows& r, int i) {
            c.state = chain_state_from(r.text(i, 0));
            if (!r.is_null(i, 1)) c.pinned_key = to_array<32>(r.bytes(i, 1));
            c.fingerprint = r.text(i, 2);
            c.last_n = r.integer(i, 3);
            if (!r.is_null(i, 4)) c.last_head = to_array<32>(r.bytes(i, 4));
            c.last_ts = r.integer(i, 5);
            c.reason = r.text(i, 6);
        });
    if (!done) return failed(done);
    return c;
}

Result<std::optional<HeadRecord>> PostgresStore::head_at(const GatewayRef& gw, int64_t n) {
    std::optional<HeadRecord> out;
    auto done = impl_->query(
        "SELECT h.head, h.ts, h.received_ms FROM chain_heads h JOIN gateways g "
        "ON g.id = h.gateway WHERE g.site = $1 AND g.gateway = $2 AND h.n = $3",
        pg::Params().text(gw.site).text(gw.gateway).integer(n), [&](const pg::Rows& r, int i) {
            out = HeadRecord{n, to_array<32>(r.bytes(i, 0)), r.text(i, 1), r.integer(i, 2)};
        });
    if (!done) return failed(done);
    return out;
}

// Sites and gateways in byte order (COLLATE "C"), as the SQLite store lists them, whatever the
// database's own collation.
Result<std::vector<GatewaySummary>> PostgresStore::gateways() {
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
        "ORDER BY g.site COLLATE \"C\", g.gateway COLLATE \"C\"",
        {}, [&](const pg::Rows& r, int i) {
            GatewaySummary s;
            s.gw = {r.text(i, 0), r.text(i, 1)};
            s.first_seen = r.integer(i, 2);
            s.last_message = r.integer(i, 3);
            if (!r.is_null(i, 4))
                s.status = StatusRecord{r.boolean(i, 4), r.integer(i, 5), r.text(i, 6),
                                        r.integer(i, 7), r.integer(i, 8)};
            s.received = seq_at(r, i, 9);
            s.missing = seq_at(r, i, 10);
            s.last_seq = seq_at(r, i, 11);
            s.open_alarms = r.integer(i, 12);
            s.chain = chain_state_from(r.text(i, 13));
            if (!r.is_null(i, 14))
                s.last_test_alarm = TestAlarmRecord{
                    r.text(i, 14),    r.text(i, 15),    r.text(i, 16),   r.text(i, 17),
                    r.integer(i, 18), r.integer(i, 19), seq_at(r, i, 20)};
            out.push_back(std::move(s));
        });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<GatewayGaps>> PostgresStore::gaps() {
    std::vector<GatewayGaps> out;
    auto done = impl_->query(
        "SELECT g.site, g.gateway, "
        "  coalesce((SELECT max(last) FROM seq_ranges WHERE gateway = g.id), 0), "
        "  s.first, s.last, s.opened_ms "
        "FROM gateways g LEFT JOIN seq_gaps s ON s.gateway = g.id "
        "ORDER BY g.site COLLATE \"C\", g.gateway COLLATE \"C\", s.first",
        {}, [&](const pg::Rows& r, int i) {
            GatewayRef gw{r.text(i, 0), r.text(i, 1)};
            if (out.empty() || !(out.back().gw == gw)) out.push_back({gw, seq_at(r, i, 2), {}});
            if (!r.is_null(i, 3))
                out.back().gaps.push_back({seq_at(r, i, 3), seq_at(r, i, 4), r.integer(i, 5)});
        });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<AlarmRecord>> PostgresStore::alarms(bool include_cleared) {
    std::vector<AlarmRecord> out;
    auto done = impl_->query(
        "SELECT g.site, g.gateway, a.id, a.type, a.severity, a.asset, a.meter, a.started_ms, "
        "  a.raised_ms, a.cleared_ms, a.received_ms, a.details "
        "FROM alarms a JOIN gateways g ON g.id = a.gateway "
        "WHERE $1 OR a.cleared_ms IS NULL "
        "ORDER BY g.site COLLATE \"C\", g.gateway COLLATE \"C\", a.received_ms, a.id COLLATE \"C\"",
        pg::Params().boolean(include_cleared),
        [&](const pg::Rows& r, int i) { out.push_back(Impl::alarm_row(r, i)); });
    if (!done) return failed(done);
    return out;
}

Result<std::vector<ReplyRecord>> PostgresStore::replies(const GatewayRef& gw) {
    std::vector<ReplyRecord> out;
    auto done = impl_->query(
        "SELECT r.nonce, r.verb, r.ok, r.reason, r.ts_ms, r.result, r.received_ms "
        "FROM command_replies r JOIN gateways g ON g.id = r.gateway "
        "WHERE g.site = $1 AND g.gateway = $2 ORDER BY r.id",
        pg::Params().text(gw.site).text(gw.gateway), [&](const pg::Rows& r, int i) {
            ReplyRecord reply;
            if (!r.is_null(i, 0)) reply.nonce = r.text(i, 0);
            reply.verb = r.text(i, 1);
            reply.ok = r.boolean(i, 2);
            reply.reason = r.text(i, 3);
            reply.ts = r.integer(i, 4);
            reply.result = r.text(i, 5);
            reply.received = r.integer(i, 6);
            out.push_back(std::move(reply));
        });
    if (!done) return failed(done);
    return out;
}

}  // namespace sealwatch::county
