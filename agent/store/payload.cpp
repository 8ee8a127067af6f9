// The content of an outbox message, rebuilt from the rows it names. Deterministic: the same
// rows give the same bytes, so a re-sent seq carries the same content. The format is the wire
// contract's (wire/telemetry.hpp, wire/event.hpp); this file only reads the rows.
#include "store/internal.hpp"
#include "store/store.hpp"
#include "wire/event.hpp"
#include "wire/telemetry.hpp"

namespace sealwatch::store {

using namespace internal;

namespace {

Result<std::string> telemetry_payload(sqlite::Db& db, const OutboxRow& row) {
    auto st = db.prepare(
        "SELECT m.name, r.ts_ms, r.vals, r.serial, r.clock_unsynced FROM readings r "
        "JOIN meters m ON m.id = r.meter WHERE r.id BETWEEN ? AND ? ORDER BY r.id");
    if (!st) return pass(st);
    st->bind(1, row.first).bind(2, row.last);
    wire::TelemetryWriter message(row.seq);
    while (true) {
        auto r = st->step();
        if (!r) return pass(r);
        if (!*r) break;
        auto values = unpack_values(st->blob(2));
        std::string serial = st->is_null(3) ? std::string() : st->text(3);
        message.add(st->text(0), st->int64(1), values, st->is_null(3) ? nullptr : &serial,
                    unsynced_at(*st, 4));
    }
    return message.finish();
}

Result<std::string> event_payload(sqlite::Db& db, const OutboxRow& row) {
    auto st = db.prepare("SELECT body FROM events WHERE id = ?");
    if (!st) return pass(st);
    st->bind(1, row.first);
    auto r = st->step();
    if (!r) return pass(r);
    if (!*r)
        return fail("event " + std::to_string(row.first) + " of seq " + std::to_string(row.seq) +
                    " is missing");
    return wire::event_message(row.seq, st->text(0));
}

Result<std::string> rollup_payload(sqlite::Db& db, const OutboxRow& row) {
    auto st = db.prepare(
        "SELECT m.name, u.minute_ms, u.n, u.p_min_w, u.p_avg_w, u.p_max_w, u.e_imp_kwh, "
        "u.e_exp_kwh FROM rollups u JOIN meters m ON m.id = u.meter "
        "WHERE u.id BETWEEN ? AND ? AND u.pending = 1 ORDER BY u.id");
    if (!st) return pass(st);
    st->bind(1, row.first).bind(2, row.last);
    wire::RollupWriter message(row.seq);
    while (true) {
        auto r = st->step();
        if (!r) return pass(r);
        if (!*r) break;
        wire::Rollup u;
        u.meter = st->text(0);
        u.minute = st->int64(1);
        u.n = st->int64(2);
        auto real = [&](int col) {
            return st->is_null(col) ? std::nullopt : std::optional<double>(st->real(col));
        };
        u.p_min_w = real(3);
        u.p_avg_w = real(4);
        u.p_max_w = real(5);
        u.e_imp_kwh = real(6);
        u.e_exp_kwh = real(7);
        message.add(u);
    }
    return message.finish();
}

}  // namespace

Result<std::string> Store::payload(const OutboxRow& row) {
    switch (row.kind) {
        case MessageKind::telemetry:
            return telemetry_payload(db_, row);
        case MessageKind::event:
            return event_payload(db_, row);
        case MessageKind::rollup:
            return rollup_payload(db_, row);
    }
    return fail("unknown outbox kind");
}

}  // namespace sealwatch::store
