#pragma once
// A thin door to libpq for the county's PostgreSQL store (county/store/postgres_store.hpp): one
// connection, statements with parameters ($1, $2, … as text; bytea in binary), results read by
// row and column, errors as values. No SQL of its own. What it adds to libpq is the one judgement
// a retrying caller needs: was a failure the connection's (try again on a new one) or the
// statement's (do not).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.hpp"

struct pg_conn;
struct pg_result;

namespace sealwatch::pg {

// The parameters of one statement, in order ($1 first).
class Params {
  public:
    Params& text(std::string_view value);
    Params& integer(int64_t value);
    Params& real(double value);  // shortest text that reads back to the same double
    Params& boolean(bool value);
    Params& bytes(std::span<const uint8_t> value);
    Params& null();
    Params& append(const Params& more);  // `more`'s values after these
    template <typename T>
    Params& optional(const std::optional<T>& value) {
        if (!value) return null();
        if constexpr (std::is_same_v<T, std::string>)
            return text(*value);
        else
            return integer(*value);
    }

  private:
    friend class Connection;
    struct Value {
        std::string data;
        bool is_null = false, binary = false;
    };
    std::vector<Value> values_;
};

// A statement's result rows (text format). Columns by index, as the SELECT lists them.
class Rows {
  public:
    int size() const;
    int64_t affected() const;  // rows an INSERT, UPDATE or DELETE changed
    bool is_null(int row, int col) const;
    std::string text(int row, int col) const;
    int64_t integer(int row, int col) const;  // bigint, integer, numeric without fraction
    double real(int row, int col) const;      // double precision
    bool boolean(int row, int col) const;
    std::vector<uint8_t> bytes(int row, int col) const;  // bytea

  private:
    friend class Connection;
    struct Free {
        void operator()(pg_result* r) const;
    };
    std::unique_ptr<pg_result, Free> result_;
};

// One statement of a pipeline.
struct Statement {
    std::string sql;
    Params params;
};

class Connection {
  public:
    // Connects (libpq conninfo: "postgresql://…" or "host=… dbname=…"; PG* environment
    // variables and ~/.pgpass fill in the rest, as for psql).
    static Result<Connection> open(const std::string& conninfo);

    Result<Rows> exec(std::string_view sql, const Params& params = {});
    Result<void> run(std::string_view sql, const Params& params = {});  // rows ignored
    // Several statements without parameters in one go (a schema migration).
    Result<void> script(const std::string& sql);
    // Statements sent together and answered together (libpq's pipeline mode): one round trip
    // instead of one each. The server runs them in order, each seeing what the ones before it
    // did; after a failure the rest are skipped and the first failure is the answer.
    Result<std::vector<Rows>> pipeline(const std::vector<Statement>& statements);
    bool in_transaction() const;  // BEGIN was sent, COMMIT or ROLLBACK not yet

    // Whether the last failure (a success in between changes nothing: a ROLLBACK after it) can
    // pass by trying again on a fresh connection: the connection is gone, the server is
    // shutting down or starting, or the transaction lost a serialization or deadlock conflict.
    // False for a failure of the statement itself.
    bool transient_failure() const { return transient_; }
    // Reconnects with the same conninfo.
    Result<void> reset();
    bool ok() const;
    int backend_pid() const;

  private:
    struct Free {
        void operator()(pg_conn* c) const;
    };
    Result<void> session();  // the settings of every new connection
    Result<Rows> failure(pg_result* result, std::string_view sql);
    std::unique_ptr<pg_conn, Free> conn_;
    bool transient_ = false;
    bool broken_ = false;  // a pipeline left the connection in no state to go on: reset it
};

}  // namespace sealwatch::pg
