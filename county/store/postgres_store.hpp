#pragma once
// The county's Store in a PostgreSQL database (issue 12: several `sealwatch-county` instances on
// one database, consuming one queue). Every SQL text of that backend, the schema included,
// lives in postgres_store.cpp, but the alarm merge rule it shares with SQLite
// (alarm_merge.hpp); the libpq door is county/store/pg.hpp.
//
// Concurrent instances: each recording call is one transaction. The seq ledger (ranges and gaps,
// county/ledger.hpp) is read, changed and written back under a row lock on the gateway's row
// (SELECT … FOR NO KEY UPDATE), so two instances taking messages of one gateway take turns on
// that gateway only; other gateways, and readers, never wait. An exclusion constraint keeps the
// ranges of one gateway disjoint: the database itself refuses to hold a seq twice, the
// UNIQUE (gateway, seq) of a table with one row per message, at the cost of a row per range.
//
// A lost connection (the server restarts, fails over, the network drops): the call's
// transaction is rolled back by the server and tried again on a new connection, with backoff
// (0.1 s doubling to 5 s), for as long as the caller's `keep_trying` flag stays true; a call
// that commits on the second try is the same as one that committed on the first (every
// recording call is idempotent but record_reply, which may then keep a reply twice).
#include <atomic>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "county/store/store.hpp"

namespace sealwatch::county {

class PostgresStore final : public Store {
  public:
    enum class Mode { read_write, read_only };
    struct Options {
        std::string conninfo;  // libpq: "postgresql://user@host/db" or "host=… dbname=…"
        Mode mode = Mode::read_write;
        // Retry calls over lost connections while this is true; nullptr: a call fails at once
        // (a second connection is tried once when the first was found broken).
        const std::atomic<bool>* keep_trying = nullptr;
    };
    // read_write creates the schema or brings it up to date (one instance at a time: an
    // advisory lock); read_only needs a database that `run` has set up, refuses a newer schema
    // and opens every transaction read-only.
    static Result<std::unique_ptr<PostgresStore>> open(const Options& options);
    ~PostgresStore() override;

    Result<void> touch(const GatewayRef& gw, WallMs received) override;
    Result<void> know(const GatewayRef& gw, WallMs received) override;
    Result<void> record_status(const GatewayRef& gw, const StatusRecord& status) override;
    Result<SeqLedger::Added> record_seq(const GatewayRef& gw, uint64_t seq,
                                        WallMs received) override;
    Result<void> record_alarm(const AlarmRecord& alarm) override;
    Result<void> record_head(const GatewayRef& gw, const HeadRecord& head) override;
    Result<void> set_chain(const GatewayRef& gw, const ChainRecord& chain) override;
    Result<void> record_reply(const GatewayRef& gw, const ReplyRecord& reply) override;
    Result<void> record_test_alarm(const GatewayRef& gw, const TestAlarmRecord& test) override;
    Result<void> record_power(const GatewayRef& gw, const std::vector<PowerMinute>& minutes,
                              WallMs keep_from) override;

    Result<std::optional<StatusRecord>> status(const GatewayRef& gw) override;
    Result<ChainRecord> chain(const GatewayRef& gw) override;
    Result<std::optional<HeadRecord>> head_at(const GatewayRef& gw, int64_t n) override;
    Result<std::vector<GatewaySummary>> gateways() override;
    Result<std::vector<GatewayGaps>> gaps() override;
    Result<std::vector<AlarmRecord>> alarms(bool include_cleared) override;
    Result<std::vector<ReplyRecord>> replies(const GatewayRef& gw) override;
    Result<std::vector<PowerMinute>> power(const GatewayRef& gw, WallMs from, WallMs to) override;

  private:
    struct Impl;
    explicit PostgresStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sealwatch::county
