#pragma once
// Shared by the store's own .cpp files only: metadata keys and small helpers.
#include <string>

#include "common/error.hpp"
#include "store/sqlite.hpp"

namespace sealwatch::store::internal {

inline constexpr const char* kNextSeq = "next_seq";
inline constexpr const char* kSentReadings = "sent.readings";  // last reading id in a message
inline constexpr const char* kSentEvents = "sent.events";
inline constexpr const char* kSentRollups = "sent.rollups";

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

}  // namespace sealwatch::store::internal
