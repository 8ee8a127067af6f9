#pragma once
// P/event and the event object everywhere else (the store's body, which the chain hashes;
// events.jsonl in a bundle; `sealwatch analyze`): the contract's event object for an Event
// (model/event.hpp), and back.
//
//   {"seq":N,"id":"…","type":"…","state":"raised","severity":"critical","asset":"…",
//    "meter":"…","ts":"…","started":"…","details":{…}}
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "model/event.hpp"
#include "wire/json.hpp"

namespace sealwatch::wire {

// The event object; "seq" first when given. Its dump() is the stored body the chain hashes.
nlohmann::ordered_json event_json(const Event& event, std::optional<uint64_t> seq = std::nullopt);
// The inverse ("seq", when there, is not the event's and is left to the caller).
Result<Event> event_from_json(const nlohmann::ordered_json& j, const Limits& limits = {});

// A P/event message from the stored body (event_json(e).dump()) and the seq it was given: the
// contract puts seq first, the rest byte for byte as stored.
Result<std::string> event_message(uint64_t seq, std::string_view stored_body);

struct EventMessage {
    uint64_t seq = 0;
    Event event;
};
Result<EventMessage> parse_event_message(std::string_view payload, const Limits& limits = {});

}  // namespace sealwatch::wire
