#pragma once
// What `sealwatch-county run` does with each message under <topic_prefix>/#: decode it with the
// wire parsers (agent/wire/) and record it in the Store. No network, no clock: the topic, the
// payload and when it arrived come in, store updates go out.
//
//   P/status      the last status; a new one counts as a message from the gateway, a retained
//                 one re-delivered (same online and ts) only makes the gateway known
//   P/telemetry   its seq into the ledger; the first time a seq arrives, its active power as
//                 per-minute aggregates into the power series (county/power_minutes.hpp),
//                 kept for `power_retention_ms` before the time of arrival
//   P/event       its seq into the ledger; raised/cleared events into the alarms, by id; a
//                 test_alarm (`sealwatch test-alarm`) as the gateway's last test, never an alarm
//   P/chain       judged (county/chain_verdict.hpp); a head that breaks the chain raises the
//                 county's own alarm `chain_broken`
//   P/cmd/reply   kept
//   P/bridge      the plant-side bridge's "1"/"0", written by mosquitto: the gateway is known,
//                 nothing more (it is no message from the gateway; docs/county.md reads it)
//   P/cmd/<verb>, P/cmd/export/<nonce>: the county's own commands and the bundles `send`
//                 collects; not recorded here
//
// A payload that does not decode is garbage: counted per kind, logged the first time for each
// kind, never fatal. Only a store failure is an error (the caller stops: the database is gone).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "county/store/store.hpp"
#include "wire/event.hpp"

namespace sealwatch::county {

// The county's own alarm type when a gateway's chain breaks.
inline constexpr const char* kChainBrokenType = "chain_broken";

class Ingest {
  public:
    Ingest(Store& store, std::string topic_prefix, int64_t power_retention_ms);

    Result<void> message(std::string_view topic, std::string_view payload, WallMs received);

    // Garbage so far, by kind: "topic", "status", "telemetry", "event", "chain", "cmd/reply".
    const std::map<std::string, uint64_t>& garbage() const { return garbage_; }

  private:
    Result<void> status(const GatewayRef& gw, std::string_view payload, WallMs received);
    Result<void> telemetry(const GatewayRef& gw, std::string_view payload, WallMs received);
    Result<void> event(const GatewayRef& gw, std::string_view payload, WallMs received);
    Result<void> test_alarm(const GatewayRef& gw, const wire::EventMessage& m, WallMs received);
    Result<void> chain_head(const GatewayRef& gw, std::string_view payload, WallMs received);
    Result<void> reply(const GatewayRef& gw, std::string_view payload, WallMs received);
    void reject(const std::string& kind, std::string_view topic, const std::string& why);

    Store& store_;
    std::string prefix_;
    int64_t power_retention_ms_;
    std::map<std::string, uint64_t> garbage_;
};

}  // namespace sealwatch::county
