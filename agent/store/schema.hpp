#pragma once
// The database schema and its numbered migrations (PRAGMA user_version).
#include "common/error.hpp"
#include "store/sqlite.hpp"

namespace sealwatch::store {

inline constexpr int kSchemaVersion = 6;
// The page size of a new database file (an existing file keeps its own).
inline constexpr int kPageSize = 1024;

// Sets the connection up (WAL, synchronous=NORMAL; incremental auto-vacuum and kPageSize on a
// new file) and brings the schema to kSchemaVersion. A database newer than this build is refused.
Result<void> migrate(sqlite::Db& db);

}  // namespace sealwatch::store
