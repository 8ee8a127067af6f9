// What an export reads from the store: the span of chain entries that touch a period, and each
// entry's stored rows streamed in chain order by three cursors that advance together (entries
// by n, readings and events by id), so the rows need no join and no sort.
#include <cmath>
#include <cstring>
#include <limits>

#include "store/internal.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

using namespace internal;

Result<std::optional<ChainSpan>> Store::chain_span(WallMs from, WallMs to) {
    auto range = db_.prepare("SELECT min(n), max(n) FROM chain WHERE ts_min < ? AND ts_max >= ?");
    if (!range) return pass(range);
    range->bind(1, static_cast<int64_t>(to)).bind(2, static_cast<int64_t>(from));
    if (auto r = range->step(); !r) return pass(r);
    if (range->is_null(0)) return std::optional<ChainSpan>();
    ChainSpan span;
    span.first_n = range->int64(0);
    span.last_n = range->int64(1);
    auto base = chain_base();  // (0, genesis), or where a continued chain starts
    if (!base) return pass(base);
    span.head_before = base->second;
    if (span.first_n > base->first + 1) {
        auto h = db_.prepare("SELECT head FROM chain WHERE n = ?");
        if (!h) return pass(h);
        h->bind(1, span.first_n - 1);
        auto r = h->step();
        if (!r) return pass(r);
        if (!*r) return fail("chain entry " + std::to_string(span.first_n - 1) + " is missing");
        span.head_before = digest_of(h->blob(0));
    }
    return std::optional<ChainSpan>(span);
}

Result<ChainReader> Store::read_chain(const ChainSpan& span) {
    // The row ids the span's entries cover, per kind: the cursors' bounds.
    auto ids = db_.prepare(
        "SELECT coalesce(min(first_id), 0), coalesce(max(last_id), -1) FROM chain "
        "WHERE n BETWEEN ? AND ? AND kind = ?");
    if (!ids) return pass(ids);
    auto id_range = [&](chain::EntryKind k) -> Result<std::pair<int64_t, int64_t>> {
        ids->reset();
        ids->bind(1, span.first_n).bind(2, span.last_n).bind(3, static_cast<int64_t>(k));
        if (auto r = ids->step(); !r) return pass(r);
        return std::pair{ids->int64(0), ids->int64(1)};
    };
    auto rid = id_range(chain::EntryKind::readings);
    if (!rid) return pass(rid);
    auto eid = id_range(chain::EntryKind::event);
    if (!eid) return pass(eid);

    ChainReader reader;
    auto entries = db_.prepare(std::string("SELECT ") + kChainColumns +
                               " FROM chain WHERE n BETWEEN ? AND ? ORDER BY n");
    if (!entries) return pass(entries);
    auto readings = db_.prepare(
        "SELECT id, meter, ts_ms, vals, serial, ct_ratio, pt_ratio, clock_unsynced "
        "FROM readings WHERE id BETWEEN ? AND ? "
        "ORDER BY id");
    if (!readings) return pass(readings);
    auto events = db_.prepare("SELECT id, body FROM events WHERE id BETWEEN ? AND ? ORDER BY id");
    if (!events) return pass(events);
    reader.entries_ = std::move(*entries);
    reader.readings_ = std::move(*readings);
    reader.events_ = std::move(*events);
    reader.entries_.bind(1, span.first_n).bind(2, span.last_n);
    reader.readings_.bind(1, rid->first).bind(2, rid->second);
    reader.events_.bind(1, eid->first).bind(2, eid->second);

    // Meter names by key, so the row loop neither joins nor allocates.
    auto ms = db_.prepare("SELECT id, name FROM meters");
    if (!ms) return pass(ms);
    while (true) {
        auto r = ms->step();
        if (!r) return pass(r);
        if (!*r) break;
        auto key = static_cast<size_t>(ms->int64(0));
        if (key >= reader.meter_names_.size()) reader.meter_names_.resize(key + 1);
        reader.meter_names_[key] = ms->text(1);
    }
    return reader;
}

Result<std::optional<ChainEntry>> ChainReader::next_entry() {
    auto r = entries_.step();
    if (!r) return pass(r);
    if (!*r) return std::optional<ChainEntry>();
    entry_ = chain_entry(entries_);
    return std::optional<ChainEntry>(entry_);
}

Result<bool> ChainReader::next_reading(ChainRow& row) {
    if (entry_.kind != chain::EntryKind::readings) return false;
    while (true) {
        if (!reading_pending_) {
            if (readings_done_) return false;
            auto r = readings_.step();
            if (!r) return pass(r);
            if (!*r) {
                readings_done_ = true;
                return false;
            }
            reading_pending_ = true;
        }
        const int64_t id = readings_.int64(0);
        if (id > entry_.last_id) return false;  // the next entry's
        reading_pending_ = false;
        if (id < entry_.first_id) continue;
        auto key = static_cast<size_t>(readings_.int64(1));
        row.meter = key;
        auto& rec = row.record;
        rec.ts = readings_.int64(2);
        rec.meter = key < meter_names_.size() ? std::string_view(meter_names_[key]) : "?";
        rec.v.fill(std::numeric_limits<double>::quiet_NaN());
        auto blob = readings_.blob(3);  // pack_values' form: (u8 quantity, f64) pairs
        for (size_t i = 0; i + 9 <= blob.size(); i += 9) {
            double v;
            std::memcpy(&v, blob.data() + i + 1, 8);
            if (blob[i] < rec.v.size()) rec.v[blob[i]] = v;
        }
        if (readings_.is_null(4)) {
            serial_.clear();
        } else {
            serial_ = readings_.text(4);
        }
        rec.serial = serial_;
        rec.ratios = {ratio_at(readings_, 5), ratio_at(readings_, 6)};
        rec.clock_unsynced = unsynced_at(readings_, 7);
        return true;
    }
}

Result<std::optional<std::string>> ChainReader::event_body() {
    if (entry_.kind != chain::EntryKind::event)
        return fail("chain entry " + std::to_string(entry_.n) + " is not an event");
    while (true) {
        auto r = events_.step();
        if (!r) return pass(r);
        if (!*r) return std::optional<std::string>();
        const int64_t id = events_.int64(0);
        if (id < entry_.first_id) continue;
        if (id > entry_.first_id) return std::optional<std::string>();
        return std::optional<std::string>(events_.text(1));
    }
}

}  // namespace sealwatch::store
