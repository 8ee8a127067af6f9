#pragma once
// The database schema and its numbered migrations (PRAGMA user_version).
#include "common/error.hpp"
#include "store/sqlite.hpp"

namespace sealwatch::store {

inline constexpr int kSchemaVersion = 6;
// The page size of a new database file (an existing file keeps its own).
inline constexpr int kPageSize = 1024;

// How often readings are committed when [storage] flush_ms is not set, for a database with this
// page size. Every commit writes each page it touched whole, so what a commit costs the flash
// grows with the page: with kPageSize pages a flush a second stays within 64 B per value; a
// database made before kPageSize (4 KiB pages) would write 85 B at 1 s and keeps the 5 s it
// was made with (docs/performance.md, "Durability").
constexpr int default_flush_ms(int page_size) {
    return page_size <= kPageSize ? 1000 : 5000;
}

// Sets the connection up (WAL, synchronous=NORMAL; incremental auto-vacuum and kPageSize on a
// new file) and brings the schema to kSchemaVersion. A database newer than this build is refused.
Result<void> migrate(sqlite::Db& db);

}  // namespace sealwatch::store
