#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <cerrno>

namespace sealwatch::sqlite {

void FailureMark::note(int sqlite_code, const char* sqlite_message) {
    Failure kind = Failure::other;
    switch (sqlite_code & 0xff) {  // the primary code of an extended one
        case SQLITE_FULL:
            kind = Failure::disk_full;
            break;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            kind = Failure::damaged;
            break;
        case SQLITE_IOERR:
            // An I/O error from writing into a full file system is a full disk, not damage.
            if ((sqlite_code == SQLITE_IOERR_WRITE || sqlite_code == SQLITE_IOERR_FSYNC) &&
                errno == ENOSPC)
                kind = Failure::disk_full;
            break;
        default:
            break;
    }
    if (kind > worst) {
        worst = kind;
        message = sqlite_message ? sqlite_message : "";
    }
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(db.raw()), failures_(db.failures_.get()) {
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
        if (failures_) failures_->note(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
    }
}

Stmt::~Stmt() {
    sqlite3_finalize(stmt_);
}

Stmt::Stmt(Stmt&& other) noexcept : stmt_(other.stmt_), db_(other.db_), failures_(other.failures_) {
    other.stmt_ = nullptr;
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = other.stmt_;
        db_ = other.db_;
        failures_ = other.failures_;
        other.stmt_ = nullptr;
    }
    return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
}
Stmt& Stmt::bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bind(int i, std::span<const uint8_t> blob) {
    sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
}

Result<bool> Stmt::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (failures_) failures_->note(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
    return fail(sqlite3_errmsg(db_));
}

Result<void> Stmt::run() {
    while (true) {
        auto r = step();
        if (!r) {
            reset();
            return tl::unexpected(r.error());
        }
        if (!*r) break;
    }
    reset();
    return {};
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int64_t Stmt::int64(int col) const {
    return sqlite3_column_int64(stmt_, col);
}
double Stmt::real(int col) const {
    return sqlite3_column_double(stmt_, col);
}
std::string Stmt::text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string();
}
std::span<const uint8_t> Stmt::blob(int col) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
    int n = sqlite3_column_bytes(stmt_, col);
    return {p, static_cast<size_t>(n)};
}
bool Stmt::is_null(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<Db> Db::open(const std::string& path, Mode mode) {
    Db db;
    db.failures_ = std::make_unique<FailureMark>();
    int flags =
        mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;  // one connection per thread
    if (sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr) != SQLITE_OK) {
        std::string msg = db.db_ ? sqlite3_errmsg(db.db_) : "out of memory";
        return fail(path + ": " + msg);
    }
    sqlite3_extended_result_codes(db.db_, 1);
    // Both the daemon and the CLI wait for each other's short transactions instead of failing.
    sqlite3_busy_timeout(db.db_, 5000);
    return db;
}

Db::~Db() {
    sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept : db_(other.db_), failures_(std::move(other.failures_)) {
    other.db_ = nullptr;
}

Db& Db::operator=(Db&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = other.db_;
        failures_ = std::move(other.failures_);
        other.db_ = nullptr;
    }
    return *this;
}

Result<void> Db::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        if (failures_) failures_->note(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        return fail(msg);
    }
    return {};
}

Result<int64_t> Db::scalar(std::string_view sql) {
    Stmt st(*this, sql);
    if (!st.ok()) return fail(message());
    auto r = st.step();
    if (!r) return tl::unexpected(r.error());
    if (!*r) return fail("no row");
    return st.int64(0);
}

Result<Stmt> Db::prepare(std::string_view sql) {
    Stmt st(*this, sql);
    if (!st.ok()) return fail(message() + " in: " + std::string(sql));
    return st;
}

int64_t Db::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}
int Db::changes() const {
    return sqlite3_changes(db_);
}
int64_t Db::total_changes() const {
    return sqlite3_total_changes64(db_);
}
std::string Db::message() const {
    return db_ ? sqlite3_errmsg(db_) : "no database";
}

Transaction::Transaction(Db& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
    if (begun_ && !done_) (void)db_.exec("ROLLBACK");
}

Result<void> Transaction::commit() {
    if (!begun_) return begun_;
    auto r = db_.exec("COMMIT");
    if (r) done_ = true;
    return r;
}

Result<int64_t> schema_version(Db& db, int64_t newest) {
    auto version = db.scalar("PRAGMA user_version");
    if (!version) return tl::unexpected(version.error());
    if (*version > newest)
        return fail("database schema version " + std::to_string(*version) +
                    " is newer than this build (" + std::to_string(newest) + ")");
    return *version;
}

Result<void> apply_migrations(Db& db, std::span<const char* const> migrations) {
    const auto newest = static_cast<int64_t>(migrations.size());
    auto version = schema_version(db, newest);
    if (!version) return tl::unexpected(version.error());
    for (int64_t v = *version + 1; v <= newest; ++v) {
        Transaction tx(db);
        if (auto b = tx.begun(); !b) return b;
        if (auto r = db.exec(migrations[static_cast<size_t>(v - 1)]); !r)
            return fail("migration " + std::to_string(v) + ": " + r.error().message);
        if (auto r = db.exec("PRAGMA user_version = " + std::to_string(v)); !r) return r;
        if (auto r = tx.commit(); !r) return r;
    }
    return {};
}

}  // namespace sealwatch::sqlite
