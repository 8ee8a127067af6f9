// Keeping the database inside its disk budget. Raw readings are the only thing that goes, oldest
// first, and never without leaving minute rollups (min/avg/max power, last counters) behind:
// first those already delivered and older than the retention period, then — only when the budget
// demands it — older delivered ones, and last unsent ones (their rollups are sent instead).
// Events, and readings named by an unacknowledged message, are never dropped.
#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>

#include "common/quantities.hpp"
#include "store/internal.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

using namespace internal;

namespace {

constexpr int64_t kChunk = 20000;  // readings per rollup transaction
constexpr int64_t kDayMs = 86400000;

struct Minute {
    int64_t n = 0;
    double p_min = 0, p_sum = 0, p_max = 0;
    int64_t p_n = 0;
    std::optional<double> e_imp, e_exp;
};

}  // namespace

Result<int64_t> Store::size_bytes() {
    auto pages = db_.scalar("PRAGMA page_count");
    auto size = db_.scalar("PRAGMA page_size");
    if (!pages || !size) return fail(db_.message());
    std::error_code ec;
    auto wal = std::filesystem::file_size(path_ + "-wal", ec);
    return *pages * *size + (ec ? 0 : static_cast<int64_t>(wal));
}

Result<int64_t> Store::roll_up(const RollUp& what) {
    constexpr size_t q_p = quantity_index("p_w");
    constexpr size_t q_imp = quantity_index("e_imp_kwh");
    constexpr size_t q_exp = quantity_index("e_exp_kwh");

    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return pass(b);
    auto st = db_.prepare(
        "SELECT id, meter, ts_ms, vals FROM readings WHERE id > ? AND id <= ? AND "
        "(? = 0 OR ts_ms < ?) ORDER BY id LIMIT ?");
    if (!st) return pass(st);
    st->bind(1, what.after_id)
        .bind(2, what.up_to_id)
        .bind(3, static_cast<int64_t>(what.before_ms))
        .bind(4, static_cast<int64_t>(what.before_ms))
        .bind(5, what.max_rows);
    std::map<std::pair<int64_t, int64_t>, Minute> minutes;
    std::vector<int64_t> ids;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        ids.push_back(st->int64(0));
        int64_t ts = st->int64(2);
        auto& m = minutes[{st->int64(1), ts - ((ts % 60000) + 60000) % 60000}];
        ++m.n;
        for (const auto& v : unpack_values(st->blob(3))) {
            if (v.quantity == q_p) {
                if (m.p_n == 0) m.p_min = m.p_max = v.value;
                m.p_min = std::min(m.p_min, v.value);
                m.p_max = std::max(m.p_max, v.value);
                m.p_sum += v.value;
                ++m.p_n;
            } else if (v.quantity == q_imp) {
                m.e_imp = v.value;
            } else if (v.quantity == q_exp) {
                m.e_exp = v.value;
            }
        }
    }
    if (ids.empty()) return int64_t{0};
    auto ins = db_.prepare(
        "INSERT INTO rollups(meter, minute_ms, n, p_min_w, p_avg_w, p_max_w, e_imp_kwh, e_exp_kwh, "
        "pending) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return pass(ins);
    for (const auto& [key, m] : minutes) {
        ins->bind(1, key.first).bind(2, key.second).bind(3, m.n);
        if (m.p_n > 0) {
            ins->bind(4, m.p_min).bind(5, m.p_sum / static_cast<double>(m.p_n)).bind(6, m.p_max);
        } else {
            ins->bind_null(4).bind_null(5).bind_null(6);
        }
        if (m.e_imp) {
            ins->bind(7, *m.e_imp);
        } else {
            ins->bind_null(7);
        }
        if (m.e_exp) {
            ins->bind(8, *m.e_exp);
        } else {
            ins->bind_null(8);
        }
        ins->bind(9, int64_t{what.pending ? 1 : 0});
        if (auto r = ins->run(); !r) return pass(r);
    }
    // The selection is every row between its first and last id that matched; with an age limit
    // rows inside that span may be younger, so delete by the ids themselves.
    auto del = db_.prepare("DELETE FROM readings WHERE id = ?");
    if (!del) return pass(del);
    for (auto id : ids) {
        del->bind(1, id);
        if (auto r = del->run(); !r) return pass(r);
    }
    if (auto r = tx.commit(); !r) return pass(r);
    return static_cast<int64_t>(ids.size());
}

Result<RetentionReport> Store::enforce_retention(WallMs now) {
    RetentionReport report;
    auto before = size_bytes();
    if (!before) return pass(before);
    report.bytes_before = *before;

    auto sent = meta_int(db_, kSentReadings, 0);
    if (!sent) return pass(sent);
    // Readings named by an unacknowledged telemetry message stay until its PUBACK.
    auto pinned = db_.scalar("SELECT coalesce(min(first_id), 0) FROM outbox WHERE kind = 1");
    if (!pinned) return pass(pinned);
    int64_t delivered = *pinned > 0 ? std::min(*sent, *pinned - 1) : *sent;

    // 1. Age: delivered raw readings past the retention period.
    const WallMs cutoff = now - static_cast<WallMs>(options_.raw_retention_days) * kDayMs;
    while (true) {
        auto n = roll_up({0, delivered, cutoff, kChunk, false});
        if (!n) return pass(n);
        report.readings_rolled_up += *n;
        if (*n < kChunk) break;
    }

    // 2. Budget: oldest delivered first, then oldest unsent.
    auto reclaim = [&]() -> Result<int64_t> {
        (void)db_.exec("PRAGMA incremental_vacuum");
        (void)db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        return size_bytes();
    };
    auto size = reclaim();
    if (!size) return pass(size);
    while (*size > options_.budget_bytes) {
        auto n = roll_up({0, delivered, 0, kChunk, false});
        if (!n) return pass(n);
        if (*n == 0) {
            n = roll_up({*sent, INT64_MAX, 0, kChunk, true});
            if (!n) return pass(n);
            report.unsent_rolled_up += *n;
        }
        report.readings_rolled_up += *n;
        report.budget_rolled_up += *n;
        if (*n == 0) {
            report.over_budget = true;  // only events, rollups and pinned rows are left
            break;
        }
        size = reclaim();
        if (!size) return pass(size);
    }
    report.bytes_after = *size;
    return report;
}

}  // namespace sealwatch::store
