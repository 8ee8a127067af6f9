#pragma once
// What the chain records about county commands (contract: "Every accepted command is an event
// `command` ... Refusals are events `command_refused`, at most one per minute per reason, with a
// count"). A flood of forged or broken payloads therefore costs the chain and the uplink one
// event per reason per minute, whatever its rate.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command/verify.hpp"
#include "model/event.hpp"

namespace sealwatch::command {

inline constexpr WallMs kRefusalEventEveryMs = 60000;

// `command` (state info): details verb, key, nonce, args, result.
Event accepted_event(const std::string& gateway, const wire::CommandBody& body,
                     const std::string& key, const nlohmann::json& result, WallMs now);

// Counts refusals per reason and says when one becomes an event.
class RefusalTally {
  public:
    explicit RefusalTally(std::string gateway) : gateway_(std::move(gateway)) {}

    // One refusal (`topic_verb` as addressed). Returns the event to record now when this
    // reason has had none for a minute; otherwise it is counted into the next one.
    std::optional<Event> refused(Refusal why, std::string_view topic_verb, const Verdict& verdict,
                                 WallMs now);
    // Refusals counted but not yet in an event, for reasons whose minute has passed: call every
    // turn so that the tail of a burst is recorded too.
    std::vector<Event> due(WallMs now);

  private:
    struct Reason {
        WallMs last_event = 0;
        bool had_event = false;
        int64_t pending = 0;          // refused since the last event
        nlohmann::ordered_json last;  // what the latest refusal said (verb, key, nonce, detail)
    };
    Event event(Refusal why, Reason& r, WallMs now);

    std::string gateway_;
    std::array<Reason, kRefusalCount> reasons_{};
};

}  // namespace sealwatch::command
