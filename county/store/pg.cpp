#include "county/store/pg.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace sealwatch::pg {

namespace {

// SQLSTATEs after which the same work may succeed on a new connection or a second try.
// Class 08: connection exceptions. 57P01..57P03: the server shuts down, crashed, or is not
// accepting connections yet. 40001, 40P01: serialization failure, deadlock (the transaction
// was rolled back, nothing of it stays).
bool transient_state(std::string_view state) {
    return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
           state == "40001" || state == "40P01";
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Params& Params::text(std::string_view value) {
    values_.push_back({std::string(value), false, false});
    return *this;
}

Params& Params::integer(int64_t value) {
    return text(std::to_string(value));
}

Params& Params::real(double value) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return text(ec == std::errc() ? std::string_view(buf, static_cast<size_t>(end - buf)) : "NaN");
}

Params& Params::boolean(bool value) {
    return text(value ? "true" : "false");
}

Params& Params::bytes(std::span<const uint8_t> value) {
    values_.push_back({std::string(value.begin(), value.end()), false, true});
    return *this;
}

Params& Params::null() {
    values_.push_back({{}, true, false});
    return *this;
}

Params& Params::append(const Params& more) {
    values_.insert(values_.end(), more.values_.begin(), more.values_.end());
    return *this;
}

void Rows::Free::operator()(pg_result* r) const {
    PQclear(r);
}

int Rows::size() const {
    return PQntuples(result_.get());
}

int64_t Rows::affected() const {
    const char* n = PQcmdTuples(result_.get());
    int64_t out = 0;
    std::from_chars(n, n + std::strlen(n), out);
    return out;
}

bool Rows::is_null(int row, int col) const {
    return PQgetisnull(result_.get(), row, col) != 0;
}

std::string Rows::text(int row, int col) const {
    return {PQgetvalue(result_.get(), row, col),
            static_cast<size_t>(PQgetlength(result_.get(), row, col))};
}

int64_t Rows::integer(int row, int col) const {
    const char* v = PQgetvalue(result_.get(), row, col);
    int64_t out = 0;
    std::from_chars(v, v + std::strlen(v), out);
    return out;
}

double Rows::real(int row, int col) const {
    const char* v = PQgetvalue(result_.get(), row, col);
    double out = 0;
    std::from_chars(v, v + std::strlen(v), out);
    return out;
}

bool Rows::boolean(int row, int col) const {
    return PQgetvalue(result_.get(), row, col)[0] == 't';
}

std::vector<uint8_t> Rows::bytes(int row, int col) const {
    // bytea in text format is "\x" and two hex digits per byte (bytea_output = hex, the default
    // since PostgreSQL 9.0; the connection sets it anyway).
    const std::string v = text(row, col);
    std::vector<uint8_t> out;
    if (v.size() < 2 || v[0] != '\\' || v[1] != 'x') return out;
    out.reserve((v.size() - 2) / 2);
    for (size_t i = 2; i + 1 < v.size(); i += 2) {
        const int hi = hex_digit(v[i]), lo = hex_digit(v[i + 1]);
        if (hi < 0 || lo < 0) return {};
        out.push_back(static_cast<uint8_t>(hi * 16 + lo));
    }
    return out;
}

void Connection::Free::operator()(pg_conn* c) const {
    PQfinish(c);
}

Result<Connection> Connection::open(const std::string& conninfo) {
    Connection c;
    // Defaults a county needs and libpq lacks: give up connecting after 10 s (libpq waits as
    // long as TCP does), and notice a server that vanished without a word (failover, a cut
    // cable) within about 25 s instead of the kernel's two hours. Listed before the caller's
    // conninfo, which overrides them (PQconnectdbParams with expand_dbname).
    const char* const keywords[] = {"connect_timeout",  "keepalives_idle", "keepalives_interval",
                                    "keepalives_count", "dbname",          nullptr};
    const char* const values[] = {"10", "10", "5", "3", conninfo.c_str(), nullptr};
    c.conn_.reset(PQconnectdbParams(keywords, values, 1));
    if (!c.conn_) return fail("PostgreSQL: out of memory");
    if (PQstatus(c.conn_.get()) != CONNECTION_OK) {
        std::string why = PQerrorMessage(c.conn_.get());
        while (!why.empty() && why.back() == '\n') why.pop_back();
        return fail("PostgreSQL: " + why);
    }
    if (auto r = c.session(); !r) return tl::unexpected(r.error());
    return c;
}

Result<void> Connection::reset() {
    broken_ = false;
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) == CONNECTION_OK) return session();
    transient_ = true;
    std::string why = PQerrorMessage(conn_.get());
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return fail("PostgreSQL: " + why);
}

Result<void> Connection::session() {
    // bytea as Rows::bytes() reads it (the default since 9.0, set anyway); no NOTICEs on stderr
    // ("relation … already exists, skipping"): libpq prints them unless told not to.
    return script("SET bytea_output = 'hex'; SET client_min_messages = warning");
}

bool Connection::ok() const {
    return !broken_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

bool Connection::in_transaction() const {
    const auto state = PQtransactionStatus(conn_.get());
    return state == PQTRANS_INTRANS || state == PQTRANS_INERROR;
}

int Connection::backend_pid() const {
    return PQbackendPID(conn_.get());
}

namespace {

// A statement's parameters as PQexecParams and PQsendQueryParams take them.
struct Args {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    template <typename Values>
    explicit Args(const Values& params) {
        for (const auto& v : params) {
            values.push_back(v.is_null ? nullptr : v.data.data());
            lengths.push_back(static_cast<int>(v.data.size()));
            formats.push_back(v.binary ? 1 : 0);
        }
    }
    int size() const { return static_cast<int>(values.size()); }
};

bool succeeded(pg_result* result) {
    const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

Result<Rows> Connection::exec(std::string_view sql, const Params& params) {
    const std::string statement(sql);
    const Args args(params.values_);
    pg_result* result =
        PQexecParams(conn_.get(), statement.c_str(), args.size(), nullptr, args.values.data(),
                     args.lengths.data(), args.formats.data(), 0);
    if (!succeeded(result)) return failure(result, sql);
    Rows rows;
    rows.result_.reset(result);
    return rows;
}

Result<std::vector<Rows>> Connection::pipeline(const std::vector<Statement>& statements) {
    pg_conn* c = conn_.get();
    bool sent = PQenterPipelineMode(c) == 1;
    for (size_t i = 0; sent && i < statements.size(); ++i) {
        const Args args(statements[i].params.values_);
        sent =
            PQsendQueryParams(c, statements[i].sql.c_str(), args.size(), nullptr,
                              args.values.data(), args.lengths.data(), args.formats.data(), 0) == 1;
    }
    sent = sent && PQpipelineSync(c) == 1;
    // Each statement's answer is one result and a null; a skipped one's is "aborted"; the
    // sync's comes last. Anything else: the connection is in no state to go on.
    std::vector<Rows> out;
    std::optional<Error> first_failure;
    bool in_order = sent;
    for (size_t i = 0; in_order && i < statements.size(); ++i) {
        pg_result* result = PQgetResult(c);
        if (!result) {
            in_order = false;
            break;
        }
        if (succeeded(result)) {
            out.emplace_back();
            out.back().result_.reset(result);
        } else if (PQresultStatus(result) == PGRES_PIPELINE_ABORTED) {
            PQclear(result);
        } else {
            auto f = failure(result, statements[i].sql);
            if (!first_failure) first_failure = f.error();
        }
        if (pg_result* extra = PQgetResult(c)) {
            PQclear(extra);
            in_order = false;
        }
    }
    if (in_order) {
        pg_result* sync = PQgetResult(c);
        in_order = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
    }
    if (!in_order || PQexitPipelineMode(c) != 1) {
        broken_ = true;
        transient_ = true;
        std::string why = PQerrorMessage(c);
        while (!why.empty() && why.back() == '\n') why.pop_back();
        return fail("PostgreSQL: a pipeline broke off" + (why.empty() ? "" : ": " + why));
    }
    if (first_failure) return tl::unexpected(*first_failure);
    return out;
}

Result<void> Connection::run(std::string_view sql, const Params& params) {
    auto rows = exec(sql, params);
    if (!rows) return tl::unexpected(rows.error());
    return {};
}

Result<void> Connection::script(const std::string& sql) {
    pg_result* result = PQexec(conn_.get(), sql.c_str());
    const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        return tl::unexpected(failure(result, sql).error());
    PQclear(result);
    return {};
}

Result<Rows> Connection::failure(pg_result* result, std::string_view sql) {
    // Copied out: both point into the result, which is cleared below.
    const char* field = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string state = field ? field : "";
    std::string why = result ? PQresultErrorMessage(result) : "";
    if (why.empty()) why = PQerrorMessage(conn_.get());
    while (!why.empty() && why.back() == '\n') why.pop_back();
    PQclear(result);
    // A connection that broke mid-statement often leaves no SQLSTATE, only its status.
    transient_ =
        PQstatus(conn_.get()) != CONNECTION_OK || (!state.empty() && transient_state(state));
    // Which statement, by its first words: enough to find it in postgres_store.cpp.
    const auto start = sql.find_first_not_of(" \n");
    const auto words = start == std::string_view::npos ? sql : sql.substr(start, 48);
    return fail("PostgreSQL: " + why + " (in: " + std::string(words.substr(0, words.find('\n'))) +
                "…)");
}

}  // namespace sealwatch::pg
