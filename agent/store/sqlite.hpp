#pragma once
// A thin RAII layer over SQLite: a connection, prepared statements, transactions. Every step is
// checked; failures come back as values with SQLite's message. Nothing here knows the schema.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sealwatch::sqlite {

class Db;

// What a failing step or exec ran into, as far as the store's owner must act on it, from the
// least to the most serious: anything else (retry), a full disk (wait for space), a damaged file
// (stop writing to it, set it aside).
enum class Failure { none, other, disk_full, damaged };

// The most serious failure of one connection since it was last forgotten, shared by its
// statements: the most serious, because one failure brings others (a COMMIT refused for a full
// disk is followed by a ROLLBACK that finds no transaction). On the heap so that it stays where
// it is when the Db is moved.
struct FailureMark {
    Failure worst = Failure::none;
    std::string message;  // SQLite's words for the worst
    void note(int sqlite_code, const char* sqlite_message);
};

class Stmt {
  public:
    Stmt() = default;
    Stmt(Db& db, std::string_view sql);  // check ok() afterwards
    ~Stmt();
    Stmt(Stmt&& other) noexcept;
    Stmt& operator=(Stmt&& other) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    bool ok() const { return stmt_ != nullptr; }

    // Binding is 1-based as in SQLite. Returns *this for chaining.
    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, std::span<const uint8_t> blob);
    Stmt& bind_null(int i);

    // Steps once: true with a row, false when done; an error otherwise.
    Result<bool> step();
    // Steps to the end (for statements without rows).
    Result<void> run();
    void reset();  // for reuse: resets and clears bindings

    int64_t int64(int col) const;
    double real(int col) const;
    std::string text(int col) const;
    std::span<const uint8_t> blob(int col) const;
    bool is_null(int col) const;

  private:
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
    FailureMark* failures_ = nullptr;
};

class Db {
  public:
    enum class Mode { read_write, read_only };
    static Result<Db> open(const std::string& path, Mode mode = Mode::read_write);
    Db() = default;
    ~Db();
    Db(Db&& other) noexcept;
    Db& operator=(Db&& other) noexcept;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    Result<void> exec(std::string_view sql);  // one or more statements, no rows
    // The first column of the first row as an integer, for PRAGMAs and counts.
    Result<int64_t> scalar(std::string_view sql);
    Result<Stmt> prepare(std::string_view sql);
    int64_t last_insert_rowid() const;
    int changes() const;
    // Rows inserted, updated or deleted through this connection since it opened, in any table:
    // equal twice, nothing this connection can see has changed (when it is the only writer).
    int64_t total_changes() const;
    std::string message() const;
    sqlite3* raw() { return db_; }
    // The most serious failure on this connection since forget_failure() (none: no failure).
    Failure worst_failure() const { return failures_ ? failures_->worst : Failure::none; }
    std::string worst_failure_message() const { return failures_ ? failures_->message : ""; }
    void forget_failure() {
        if (failures_) *failures_ = {};
    }

  private:
    friend class Stmt;
    sqlite3* db_ = nullptr;
    std::unique_ptr<FailureMark> failures_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed (an early return or an error).
class Transaction {
  public:
    explicit Transaction(Db& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Result<void> begun() const { return begun_; }
    Result<void> commit();

  private:
    Db& db_;
    Result<void> begun_;
    bool done_ = false;
};

// A schema's version (PRAGMA user_version), refused when above `newest`: a newer build's file.
Result<int64_t> schema_version(Db& db, int64_t newest);
// Brings the schema to migrations.size(): migration N takes it from version N-1 to N, each in a
// transaction of its own. A database newer than that is refused.
Result<void> apply_migrations(Db& db, std::span<const char* const> migrations);

}  // namespace sealwatch::sqlite
