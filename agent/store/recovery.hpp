#pragma once
// Opening the agent's database without ever starting a new chain silently. At start the file is
// checked (PRAGMA quick_check, within a time budget) and compared with the durable mark kept
// outside it (store/durable_mark.hpp): a database that cannot be opened, fails the check, holds
// a shorter chain or a lower seq than the mark, another head at the mark's entry, or is missing
// although the mark says there was one, is DAMAGED. Then its files are moved aside (never
// deleted), what can be salvaged from them is copied into a new database (legal asset states,
// the nonces of county commands, the detector's state and the boot counter), and the new
// database's chain goes on from the last tip known durable and its seq from the last seq given
// out, so no entry number and no seq is ever given out twice. The caller records the damage
// as the first entry of that chain (the database_damaged event, daemon/agent.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "store/durable_mark.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

struct Damage {
    std::string reason;                       // for people: what was wrong
    std::string kept_as;                      // the folder the damaged files were moved to
    std::optional<DurableMark> last_durable;  // the mark, when there was one
    // What the damaged database itself still said (nullopt: it could not be read).
    std::optional<int64_t> found_chain_n;
    std::optional<uint64_t> found_next_seq;
    std::vector<std::string> salvaged;  // what was copied into the new database
    int64_t continued_from_n = 0;       // the new chain's first entry is this + 1
    uint64_t continued_seq = 1;         // the new database's first seq
};

struct OpenedStore {
    Store store;
    std::optional<Damage> damage;
    int64_t check_ms = 0;        // how long the start check took
    bool check_finished = true;  // false: the budget ran out (nothing known, nothing done)
};

// Opens `path` (options.durable_mark_path names the mark). A damaged database is set aside into
// `<folder of path>/damaged/<UTC time>/` and replaced as above. `force_reason` non-empty: the
// caller already knows the database is damaged (found while running): no check, set aside.
Result<OpenedStore> open_checked(const std::string& path, const Options& options,
                                 int64_t check_budget_ms, const std::string& force_reason = {});

// The meta key under which the agent keeps the database_damaged event (its JSON) that started
// this database, for `sealwatch status`.
inline constexpr const char* kDatabaseReplacedKey = "database.replaced";

// The folder damaged databases are moved to, next to the database.
inline constexpr const char* kDamagedFolder = "damaged";

}  // namespace sealwatch::store
