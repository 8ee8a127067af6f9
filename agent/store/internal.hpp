#pragma once
// Shared by the store's own .cpp files only: metadata keys and small helpers.
#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace sealwatch::store::internal {

inline constexpr const char* kNextSeq = "next_seq";
inline constexpr const char* kSentReadings = "sent.readings";  // last reading id in a message
inline constexpr const char* kSentEvents = "sent.events";
inline constexpr const char* kSentRollups = "sent.rollups";
inline constexpr const char* kJournalFolded = "journal.folded";  // store/reading_journal.hpp
// Where the chain starts when it continues a damaged database's: "n hex(head)" (store.hpp).
inline constexpr const char* kChainBase = "chain.base";

template <typename T>
tl::unexpected<Error> pass(const Result<T>& r) {
    return tl::unexpected(r.error());
}

inline Result<int64_t> meta_int(sqlite::Db& db, const char* key, int64_t fallback) {
    auto st = db.prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return pass(st);
    st->bind(1, std::string_view(key));
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return fallback;
    return std::stoll(st->text(0));
}

inline Result<void> set_meta_int(sqlite::Db& db, const char* key, int64_t value) {
    auto st = db.prepare(
        "INSERT INTO meta(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!st) return pass(st);
    st->bind(1, std::string_view(key)).bind(2, std::string_view(std::to_string(value)));
    return st->run();
}

// A reading's CT/PT ratio column (schema 5): NULL stands for 1, the meter without a transformer.
inline void bind_ratio(sqlite::Stmt& st, int i, double ratio) {
    if (ratio == 1) {
        st.bind_null(i);
    } else {
        st.bind(i, ratio);
    }
}
inline double ratio_at(const sqlite::Stmt& st, int col) {
    return st.is_null(col) ? 1.0 : st.real(col);
}

// A reading's clock_unsynced column (schema 6): 1 when the clock was not synchronised, NULL when
// it was.
inline bool unsynced_at(const sqlite::Stmt& st, int col) {
    return !st.is_null(col) && st.int64(col) != 0;
}

// A chain row: the columns to select, in the order chain_entry() reads them.
inline constexpr const char* kChainColumns =
    "n, kind, first_id, last_id, count, ts_min, ts_max, digest, head";

inline chain::Digest digest_of(std::span<const uint8_t> blob) {
    chain::Digest d{};
    if (blob.size() == d.size()) std::copy(blob.begin(), blob.end(), d.begin());
    return d;
}

inline ChainEntry chain_entry(const sqlite::Stmt& st) {
    ChainEntry e;
    e.n = st.int64(0);
    e.kind = static_cast<chain::EntryKind>(st.int64(1));
    e.first_id = st.int64(2);
    e.last_id = st.int64(3);
    e.count = st.int64(4);
    e.ts_min = st.int64(5);
    e.ts_max = st.int64(6);
    e.digest = digest_of(st.blob(7));
    e.head = digest_of(st.blob(8));
    return e;
}

}  // namespace sealwatch::store::internal
