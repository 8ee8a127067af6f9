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

// A forged signature or a replay is somebody trying (major); broken payloads are noise (minor).
Severity refusal_severity(Refusal why);

// An inspector's USB stick (docs/inspector.md), one event per stick plugged, all state info:
// `inspection`: the bundle is on the stick and synced. Details inspector, key, nonce, from, to,
// asset (null: all), then what `written` says (folder, manifest_sha256, bytes, readings, ...).
Event inspection_event(const std::string& gateway, const wire::CommandBody& body,
                       const std::string& key, const nlohmann::ordered_json& written, WallMs now);
// `inspection_refused`: nothing was written. `reason` is a command refusal reason (verify.hpp)
// or no_request / read_only / unreadable; `details` adds what is known (key, nonce, detail).
Event inspection_refused_event(const std::string& gateway, std::string_view reason,
                               Severity severity, nlohmann::ordered_json details, WallMs now);
// `inspection_failed` (minor): the request was good, the stick did not take the bundle whole
// (details reason: stick_full, pulled, write_failed, export_failed, stopping; message; left:
// what stayed on the stick).
Event inspection_failed_event(const std::string& gateway, const wire::CommandBody& body,
                              const std::string& key, nlohmann::ordered_json details, WallMs now);

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
