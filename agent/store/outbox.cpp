// The outbox: seq given out in batches, durably, and acknowledgements applied in the same
// transaction. The hot path of the uplink: statements are prepared once and the watermarks are
// kept in memory, so an idle pump costs three index lookups and no write, and nothing at all
// while nothing has changed since the last one (Store::IdlePlan).
#include <algorithm>
#include <limits>

#include "store/internal.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

using namespace internal;

Result<void> Store::load_outbox_marks() {
    auto prep = [&](sqlite::Stmt& st, const char* sql) -> Result<void> {
        auto p = db_.prepare(sql);
        if (!p) return pass(p);
        st = std::move(*p);
        return {};
    };
    if (auto r = prep(next_event_, "SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?"); !r)
        return r;
    if (auto r = prep(next_rollups_,
                      "SELECT id FROM rollups WHERE id > ? AND pending = 1 ORDER BY id LIMIT ?");
        !r)
        return r;
    if (auto r =
            prep(next_readings_, "SELECT id, ts_ms FROM readings WHERE id > ? ORDER BY id LIMIT ?");
        !r)
        return r;
    if (auto r = prep(insert_outbox_,
                      "INSERT INTO outbox(seq, kind, first_id, last_id) VALUES(?, ?, ?, ?)");
        !r)
        return r;
    if (auto r = prep(delete_outbox_, "DELETE FROM outbox WHERE seq = ?"); !r) return r;
    if (auto r = prep(set_meta_,
                      "INSERT INTO meta(key, value) VALUES(?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        !r)
        return r;
    auto next = meta_int(db_, kNextSeq, 1);
    auto readings = meta_int(db_, kSentReadings, 0);
    auto events = meta_int(db_, kSentEvents, 0);
    auto rollups = meta_int(db_, kSentRollups, 0);
    if (!next || !readings || !events || !rollups)
        return fail("cannot read the outbox state: " + db_.message());
    marks_ = {*next, *readings, *events, *rollups};
    return {};
}

Result<std::vector<OutboxRow>> Store::plan_messages(const FormLimits& limits, Only only,
                                                    OutboxMarks& m, WallMs* waiting_since) {
    std::vector<OutboxRow> rows;
    auto limit = static_cast<int64_t>(limits.max_readings);
    while (rows.size() < limits.max_messages) {
        OutboxRow row;
        if (only == Only::any || only == Only::event) {
            next_event_.reset();
            next_event_.bind(1, m.events).bind(2, int64_t{1});
            auto r = next_event_.step();
            if (!r) return pass(r);
            if (*r) {
                row = {0, MessageKind::event, next_event_.int64(0), next_event_.int64(0)};
                m.events = row.last;
                rows.push_back(row);
                continue;
            }
        }
        if (only == Only::any || only == Only::rollup) {
            next_rollups_.reset();
            next_rollups_.bind(1, m.rollups).bind(2, limit);
            int64_t first = 0, last = 0;
            while (true) {
                auto r = next_rollups_.step();
                if (!r) return pass(r);
                if (!*r) break;
                if (first == 0) first = next_rollups_.int64(0);
                last = next_rollups_.int64(0);
            }
            if (first != 0) {
                rows.push_back({0, MessageKind::rollup, first, last});
                m.rollups = last;
                continue;
            }
        }
        if (only == Only::any || only == Only::telemetry) {
            next_readings_.reset();
            next_readings_.bind(1, m.readings).bind(2, limit);
            int64_t first = 0, last = 0, n = 0;
            WallMs oldest = 0;
            while (true) {
                auto r = next_readings_.step();
                if (!r) return pass(r);
                if (!*r) break;
                if (n == 0) {
                    first = next_readings_.int64(0);
                    oldest = next_readings_.int64(1);
                }
                last = next_readings_.int64(0);
                ++n;
            }
            if (n > 0 && (n >= limit || oldest < limits.flush_before)) {
                rows.push_back({0, MessageKind::telemetry, first, last});
                m.readings = last;
                continue;
            }
            if (n > 0 && waiting_since != nullptr) *waiting_since = oldest;
        }
        break;
    }
    next_event_.reset();
    next_rollups_.reset();
    next_readings_.reset();
    return rows;
}

Result<std::vector<OutboxRow>> Store::form(const FormLimits& limits, Only only,
                                           std::span<const uint64_t> acked, const Fold* fold) {
    const bool folds = fold != nullptr && !fold->readings.empty();
    OutboxMarks m = marks_;
    std::vector<OutboxRow> rows;
    // Without readings to store, decide first (reads only), so an idle call opens no
    // transaction at all; and when nothing has changed since the last idle plan, not even that.
    if (!folds) {
        const bool acks_to_apply = !acked.empty() && limits.acks_alone;
        if (only == Only::any && !acks_to_apply && idle_plan_ &&
            idle_plan_->changes == db_.total_changes() &&
            idle_plan_->max_readings == limits.max_readings &&
            limits.flush_before <= idle_plan_->waiting_since)
            return rows;
        WallMs waiting_since = std::numeric_limits<WallMs>::max();
        auto planned = plan_messages(limits, only, m, &waiting_since);
        if (!planned) return planned;
        rows = std::move(*planned);
        if (rows.empty() && only == Only::any)
            idle_plan_ = IdlePlan{db_.total_changes(), limits.max_readings, waiting_since};
        if (rows.empty() && !acks_to_apply) return rows;
    }
    // The seqs must be on stable storage before any of these messages can leave: FULL makes
    // this commit (and every WAL frame before it) survive a power cut, not just a killed
    // process. Acknowledgements alone need no fsync: re-sending one after a power cut is QoS 1.
    // SQLite takes the level only outside a transaction, so with a fold it is foreseen: FULL
    // when the batch itself is due to leave (the usual flush while connected).
    bool full = !rows.empty();
    if (folds && limits.max_messages > 0) {
        const auto oldest = std::min_element(
            fold->readings.begin(), fold->readings.end(),
            [](const Reading& a, const Reading& b) { return a.wall_ms < b.wall_ms; });
        full =
            oldest->wall_ms < limits.flush_before || fold->readings.size() >= limits.max_readings;
    }
    if (full)
        if (auto r = db_.exec("PRAGMA synchronous = FULL"); !r) return pass(r);
    struct Restore {
        sqlite::Db& db;
        bool active;
        ~Restore() {
            if (active) (void)db.exec("PRAGMA synchronous = NORMAL");
        }
    } restore{db_, full};

    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return pass(b);
    ChainTip tip{chain_n_, chain_head_};
    if (folds) {
        auto stored = insert_readings(fold->readings, fold->journal_generation);
        if (!stored) return pass(stored);
        tip = *stored;
        auto planned = plan_messages(limits, only, m);  // the batch just stored is seen
        if (!planned) return planned;
        rows = std::move(*planned);
        if (!full) {  // not foreseen (older readings waiting): formed by the next pump instead
            rows.clear();
            m = marks_;
        }
    }
    if (rows.empty() && !limits.acks_alone) acked = {};
    const bool gives_seqs = !rows.empty();
    for (auto seq : acked) {
        delete_outbox_.bind(1, static_cast<int64_t>(seq));
        if (auto r = delete_outbox_.run(); !r) return pass(r);
    }
    for (auto& row : rows) {
        row.seq = static_cast<uint64_t>(m.next_seq++);
        insert_outbox_.bind(1, static_cast<int64_t>(row.seq))
            .bind(2, static_cast<int64_t>(row.kind))
            .bind(3, row.first)
            .bind(4, row.last);
        if (auto r = insert_outbox_.run(); !r) return pass(r);
    }
    auto put = [&](const char* key, int64_t value, int64_t before) -> Result<void> {
        if (value == before) return {};
        set_meta_.bind(1, std::string_view(key)).bind(2, std::string_view(std::to_string(value)));
        return set_meta_.run();
    };
    if (auto r = put(kNextSeq, m.next_seq, marks_.next_seq); !r) return pass(r);
    if (auto r = put(kSentReadings, m.readings, marks_.readings); !r) return pass(r);
    if (auto r = put(kSentEvents, m.events, marks_.events); !r) return pass(r);
    if (auto r = put(kSentRollups, m.rollups, marks_.rollups); !r) return pass(r);
    if (auto r = tx.commit(); !r) return pass(r);
    marks_ = m;
    chain_n_ = tip.n;
    chain_head_ = tip.head;
    if (gives_seqs) made_durable();
    return rows;
}

Result<std::vector<OutboxRow>> Store::form_messages(const FormLimits& limits,
                                                    std::span<const uint64_t> acked) {
    return form(limits, Only::any, acked);
}

Result<std::vector<OutboxRow>> Store::fold_and_form(const Fold& fold, const FormLimits& limits,
                                                    std::span<const uint64_t> acked) {
    return form(limits, Only::any, acked, &fold);
}

namespace {
Result<std::optional<OutboxRow>> first_of(Result<std::vector<OutboxRow>> rows) {
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<OutboxRow>();
    return std::optional<OutboxRow>(rows->front());
}
}  // namespace

Result<std::optional<OutboxRow>> Store::form_event_message() {
    return first_of(form({1, 1, 0}, Only::event, {}));
}

Result<std::optional<OutboxRow>> Store::form_rollup_message(size_t max_rows) {
    return first_of(form({1, max_rows, 0}, Only::rollup, {}));
}

Result<std::optional<OutboxRow>> Store::form_telemetry_message(size_t max_readings,
                                                               WallMs flush_before) {
    return first_of(form({1, max_readings, flush_before}, Only::telemetry, {}));
}

Result<std::vector<OutboxRow>> Store::unacked() {
    auto st = db_.prepare("SELECT seq, kind, first_id, last_id FROM outbox ORDER BY seq");
    if (!st) return pass(st);
    std::vector<OutboxRow> rows;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        rows.push_back({static_cast<uint64_t>(st->int64(0)), static_cast<MessageKind>(st->int64(1)),
                        st->int64(2), st->int64(3)});
    }
    return rows;
}

Result<void> Store::acked(std::span<const uint64_t> seqs) {
    if (seqs.empty()) return {};
    auto r = form({0, 1, 0}, Only::any, seqs);
    if (!r) return tl::unexpected(r.error());
    return {};
}

}  // namespace sealwatch::store
