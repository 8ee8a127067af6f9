#pragma once
// `sealwatch test-alarm`: a clearly marked test event for commissioning, recorded by the running
// agent like any event (chained, published on P/event with its seq) so that it proves the whole
// path to the county office, and never counted as an alarm there: its state is `info` (the
// county keeps raised/cleared events as alarms, docs/protocol.md) and its type says test.
//
// The CLI queues a request in the database (store::TestAlarmRequest); the agent records the
// pending ones about once a second. Unlike set-state, the CLI never records one itself: a test
// made while no agent runs would prove nothing about the link.
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/config.hpp"
#include "model/event.hpp"
#include "store/store.hpp"

namespace sealwatch::evidence {

// The event a request becomes when recorded at `now`.
Event test_alarm_event(const std::string& gateway, const store::TestAlarmRequest& request,
                       WallMs now);

struct TestAlarmOutcome {
    int64_t request_id = 0;
    bool recorded = false;  // false: rejected (message says why) or withdrawn meanwhile
    std::string message;
};
// Records every pending request, oldest first. A request for an asset that the running config
// no longer has is rejected with a message (kept in the table for the CLI to print).
Result<std::vector<TestAlarmOutcome>> record_test_alarms(store::Store& store,
                                                         const config::Config& cfg, WallMs now);

}  // namespace sealwatch::evidence
