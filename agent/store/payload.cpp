// The content of an outbox message, rebuilt from the rows it names. Deterministic: the same
// rows give the same bytes, so a re-sent seq carries the same content.
#include "common/quantities.hpp"
#include "detect/event.hpp"
#include "poll/reading.hpp"
#include "store/internal.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

using namespace internal;

namespace {

Result<std::string> telemetry_payload(sqlite::Db& db, const OutboxRow& row) {
    auto st = db.prepare(
        "SELECT m.name, r.ts_ms, r.vals, r.serial FROM readings r JOIN meters m ON m.id = "
        "r.meter "
        "WHERE r.id BETWEEN ? AND ? ORDER BY r.id");
    if (!st) return pass(st);
    st->bind(1, row.first).bind(2, row.last);
    std::string out = "{\"seq\":" + std::to_string(row.seq) + ",\"readings\":[";
    bool first = true;
    while (true) {
        auto r = st->step();
        if (!r) return pass(r);
        if (!*r) break;
        if (!first) out += ',';
        first = false;
        auto values = unpack_values(st->blob(2));
        std::string serial = st->is_null(3) ? std::string() : st->text(3);
        poll::append_reading_json(out, st->text(0), st->int64(1), values,
                                  st->is_null(3) ? nullptr : &serial);
    }
    out += "]}";
    return out;
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
    std::string body = st->text(0);
    if (body.size() < 2 || body.front() != '{') return fail("malformed stored event");
    // The stored object without seq; the contract puts seq first.
    return "{\"seq\":" + std::to_string(row.seq) + (body.size() > 2 ? "," : "") + body.substr(1);
}

Result<std::string> rollup_payload(sqlite::Db& db, const OutboxRow& row) {
    auto st = db.prepare(
        "SELECT m.name, u.minute_ms, u.n, u.p_min_w, u.p_avg_w, u.p_max_w, u.e_imp_kwh, "
        "u.e_exp_kwh FROM rollups u JOIN meters m ON m.id = u.meter "
        "WHERE u.id BETWEEN ? AND ? AND u.pending = 1 ORDER BY u.id");
    if (!st) return pass(st);
    st->bind(1, row.first).bind(2, row.last);
    std::string out = "{\"seq\":" + std::to_string(row.seq) + ",\"rollups\":[";
    bool first = true;
    while (true) {
        auto r = st->step();
        if (!r) return pass(r);
        if (!*r) break;
        if (!first) out += ',';
        first = false;
        out += "{\"meter\":";
        poll::append_json_string(out, st->text(0));
        out += ",\"minute\":\"" + format_rfc3339(st->int64(1)) +
               "\",\"n\":" + std::to_string(st->int64(2));
        const char* names[] = {"p_min_w", "p_avg_w", "p_max_w", "e_imp_kwh", "e_exp_kwh"};
        for (int c = 0; c < 5; ++c) {
            if (st->is_null(3 + c)) continue;
            out += ",\"";
            out += names[c];
            out += "\":";
            poll::append_json_number(out, st->real(3 + c));
        }
        out += '}';
    }
    out += "]}";
    return out;
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
