#include "evidence/test_alarm.hpp"

#include <algorithm>

namespace sealwatch::evidence {

Event test_alarm_event(const std::string& gateway, const store::TestAlarmRequest& request,
                       WallMs now) {
    Event e;
    // The request's number keeps two tests in the same millisecond apart.
    e.id = gateway + ":" + kTestAlarmType + ":" + request.asset + ":" + std::to_string(now) + ":" +
           std::to_string(request.id);
    e.type = kTestAlarmType;
    e.state = EventState::info;
    e.severity = Severity::info;
    e.asset = request.asset;
    e.ts = now;
    e.started = now;
    e.details["test"] = true;
    e.details["by"] = request.by;
    e.details["note"] = request.note;
    e.details["requested"] = format_rfc3339(request.created_ms);
    return e;
}

Result<std::vector<TestAlarmOutcome>> record_test_alarms(store::Store& store,
                                                         const config::Config& cfg, WallMs now) {
    auto pending = store.pending_test_alarms();
    if (!pending) return tl::unexpected(pending.error());
    std::vector<TestAlarmOutcome> out;
    for (const auto& request : *pending) {
        TestAlarmOutcome o{request.id, false, {}};
        const bool known = std::any_of(cfg.assets.begin(), cfg.assets.end(),
                                       [&](const auto& a) { return a.id == request.asset; });
        if (!known) {
            o.message = "asset '" + request.asset + "' is not in the running config";
            if (auto r = store.close_test_alarm(request.id, "rejected", o.message); !r)
                return tl::unexpected(r.error());
            out.push_back(std::move(o));
            continue;
        }
        auto recorded =
            store.record_test_alarm(request.id, test_alarm_event(cfg.gateway.id, request, now));
        if (!recorded) return tl::unexpected(recorded.error());
        o.recorded = *recorded;
        o.message = *recorded ? "recorded" : "withdrawn before the agent took it";
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace sealwatch::evidence
