#pragma once
// The county's Store as its config names it ([store] kind, docs/county.md): the SQLite file
// data_dir/county.db (the default) or a PostgreSQL database ([store] url). The one place that
// chooses; `run`, `status`, `gaps`, `alarms` and `send` all open their store here.
#include <atomic>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "county/config.hpp"
#include "county/store/store.hpp"

namespace sealwatch::county {

enum class Access {
    read_write,  // `run`: makes the database (and data_dir) or brings its schema up to date
    read_only,   // the readers: need what `run` made, change nothing
};

// `keep_trying` (PostgreSQL): while it is true, a call that loses its connection is retried
// with backoff rather than failed (county/store/postgres_store.hpp); nullptr: fail at once.
Result<std::unique_ptr<Store>> open_store(const Config& config, Access access,
                                          const std::atomic<bool>* keep_trying = nullptr);

// Where the store is, for people: the SQLite file, or the PostgreSQL database without its
// password ("PostgreSQL database county on db.example:5432 as sealwatch").
std::string store_location(const Config& config);

}  // namespace sealwatch::county
