#pragma once
// The contract's event object (JSON) for an Event (model/event.hpp).
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "model/event.hpp"

namespace sealwatch::detect {

// The contract's event object; "seq" first when given.
nlohmann::ordered_json to_json(const Event& event, std::optional<uint64_t> seq = std::nullopt);
// The inverse, for events read back from the store or an export; nullopt if malformed.
std::optional<Event> event_from_json(const nlohmann::ordered_json& j);

}  // namespace sealwatch::detect
