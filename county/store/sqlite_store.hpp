#pragma once
// The county's Store in one SQLite file (data_dir/county.db): WAL, so that `status`, `gaps` and
// `alarms` read while `run` writes; numbered migrations (PRAGMA user_version). Every SQL text of
// this backend lives in sqlite_store.cpp, but the alarm merge rule it shares with PostgreSQL
// (alarm_merge.hpp).
#include <memory>
#include <string>

#include "common/error.hpp"
#include "county/store/store.hpp"

namespace sealwatch::county {

// The database file in a data_dir.
std::string database_path(const std::string& data_dir);

class SqliteStore final : public Store {
  public:
    enum class Mode { read_write, read_only };
    // read_write creates the file and brings its schema up to date; read_only needs a file that
    // `run` has made and refuses one of a newer schema.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, Mode mode);
    ~SqliteStore() override;

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
    explicit SqliteStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sealwatch::county
