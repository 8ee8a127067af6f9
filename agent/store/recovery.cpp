#include "store/recovery.hpp"

#include <chrono>
#include <filesystem>

#include "chain/crypto.hpp"
#include "common/clock.hpp"
#include "store/internal.hpp"

namespace sealwatch::store {

namespace fs = std::filesystem;

namespace {

// What a database says about itself, read through a Store opened without the mark (so that
// nothing about the mark changes before the verdict).
struct Found {
    std::optional<Store> store;
    std::string problem;  // empty: opened, checked (or out of time) and consistent with the mark
    std::optional<int64_t> chain_n;
    std::optional<uint64_t> next_seq;
    int64_t check_ms = 0;
    bool check_finished = true;
};

std::string hex_short(const chain::Digest& d) {
    return chain::hex(d).substr(0, 16);
}

Found inspect(const std::string& path, const Options& options,
              const std::optional<DurableMark>& mark, int64_t budget_ms) {
    Found f;
    if (!fs::exists(path)) {
        if (mark && (mark->chain_n > 0 || mark->next_seq > 1))
            f.problem =
                "the database is missing, although the durable mark says it held chain "
                "entry " +
                std::to_string(mark->chain_n) + " and seq " + std::to_string(mark->next_seq - 1);
        return f;
    }
    Options plain = options;
    plain.durable_mark_path.clear();
    auto s = Store::open(path, plain);
    if (!s) {
        f.problem = "cannot open it: " + s.error().message;
        return f;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto check = s->quick_check(budget_ms);
    f.check_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    f.chain_n = s->chain_length();
    auto backlog = s->backlog();
    if (backlog) f.next_seq = backlog->next_seq;
    if (!check) {
        f.problem = "quick_check failed: " + check.error().message;
    } else if (!*check) {
        f.check_finished = false;  // out of time: judged by the mark alone
    } else if (!(*check)->empty()) {
        f.problem = "quick_check: " + (*check)->front();
        if ((*check)->size() > 1)
            f.problem += " (and " + std::to_string((*check)->size() - 1) + " more)";
    }
    if (f.problem.empty() && mark) {
        if (!backlog) {
            f.problem = "cannot read its seq counter: " + backlog.error().message;
        } else if (s->chain_length() < mark->chain_n || backlog->next_seq < mark->next_seq) {
            f.problem =
                "it went backwards: it ends at chain entry " + std::to_string(s->chain_length()) +
                " and seq " + std::to_string(backlog->next_seq - 1) + ", but entry " +
                std::to_string(mark->chain_n) + " and seq " + std::to_string(mark->next_seq - 1) +
                " were already on stable storage (a lost WAL, or an older copy)";
        } else if (auto head = s->chain_head_at(mark->chain_n); !head || !*head) {
            f.problem = "chain entry " + std::to_string(mark->chain_n) + " is unreadable";
        } else if (**head != mark->chain_head) {
            f.problem = "it holds another history: chain entry " + std::to_string(mark->chain_n) +
                        " has head " + hex_short(**head) + "…, the durable mark says " +
                        hex_short(mark->chain_head) + "…";
        }
    }
    f.store = std::move(*s);
    return f;
}

// Moves the database's files into damaged/<UTC time>/ (the same file system: a rename).
Result<std::string> set_aside(const std::string& path) {
    auto dir = fs::path(path).parent_path() / kDamagedFolder / format_rfc3339(wall_now_ms());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail(dir.string() + ": " + ec.message());
    for (const char* suffix : {"", "-wal", "-shm"}) {
        fs::path from = path + suffix;
        if (!fs::exists(from)) continue;
        fs::rename(from, dir / from.filename(), ec);
        if (ec) return fail("cannot move " + from.string() + " aside: " + ec.message());
    }
    return dir.string();
}

}  // namespace

// Copies from the damaged database what the agent must not forget: who set which asset to which
// legal state, the county commands already carried out (a replay stays refused), the detector's
// open alarms and counters, the boot counter and the last alive stamp. Each part on its own: a
// damaged page loses that part only.
std::vector<std::string> Store::salvage_from(const std::string& damaged_db) {
    std::vector<std::string> got;
    auto& db = db_;
    std::string quoted;
    for (char c : damaged_db) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    if (!db.exec("ATTACH DATABASE '" + quoted + "' AS damaged")) {
        db.forget_failure();
        return got;
    }
    struct Part {
        const char* name;
        const char* sql;
    };
    static constexpr Part kParts[] = {
        {"asset_states",
         "INSERT OR REPLACE INTO main.asset_states SELECT * FROM damaged.asset_states"},
        {"command_nonces",
         "INSERT OR REPLACE INTO main.command_nonces SELECT * FROM damaged.command_nonces"},
        {"agent_state",
         "INSERT OR REPLACE INTO main.meta SELECT key, value FROM damaged.meta WHERE key IN "
         "('boot', 'running', 'alive', 'clock', 'tamper.open_id', 'detector.snapshot')"},
    };
    for (const auto& part : kParts) {
        if (db.exec(part.sql)) got.emplace_back(part.name);
        db.forget_failure();
    }
    (void)db.exec("DETACH DATABASE damaged");
    db.forget_failure();
    return got;
}

Result<OpenedStore> open_checked(const std::string& path, const Options& options,
                                 int64_t check_budget_ms, const std::string& force_reason) {
    const auto mark = options.durable_mark_path.empty()
                          ? std::nullopt
                          : read_durable_mark(options.durable_mark_path);
    Found found;
    if (force_reason.empty()) {
        found = inspect(path, options, mark, check_budget_ms);
    } else {
        found.problem = force_reason;
    }
    if (found.problem.empty()) {
        found.store.reset();  // reopened with the mark
        auto s = Store::open(path, options);
        if (!s) return tl::unexpected(s.error());
        return OpenedStore{std::move(*s), std::nullopt, found.check_ms, found.check_finished};
    }

    Damage d;
    d.reason = found.problem;
    d.last_durable = mark;
    d.found_chain_n = found.chain_n;
    d.found_next_seq = found.next_seq;
    // Where the new chain goes on: the mark's tip (durable, so maybe published); without a mark,
    // the damaged database's own tip when it could be read; else the genesis.
    chain::Digest base_head = chain::kGenesis;
    if (mark) {
        d.continued_from_n = mark->chain_n;
        base_head = mark->chain_head;
    } else if (found.store && found.chain_n) {
        d.continued_from_n = *found.chain_n;
        base_head = found.store->chain_head();
    }
    d.continued_seq =
        std::max<uint64_t>({1, mark ? mark->next_seq : 1, found.next_seq.value_or(1)});
    found.store.reset();  // closed before its files move

    auto kept = set_aside(path);
    if (!kept) return tl::unexpected(kept.error());
    d.kept_as = *kept;
    auto s = Store::open(path, options);
    if (!s) return tl::unexpected(s.error());
    d.salvaged = s->salvage_from((fs::path(d.kept_as) / fs::path(path).filename()).string());
    if (auto r = s->continue_from(d.continued_from_n, base_head, d.continued_seq); !r)
        return tl::unexpected(r.error());
    return OpenedStore{std::move(*s), std::move(d), found.check_ms, found.check_finished};
}

}  // namespace sealwatch::store
