#pragma once
// The events that tell the county office about the gateway's own storage: a database found
// damaged (at start or while running) and set aside, and a full disk. Both are facts about the
// gateway, not about an asset or a meter. docs/detection.md lists their details.
#include <string>

#include "common/clock.hpp"
#include "model/event.hpp"
#include "store/recovery.hpp"

namespace sealwatch::daemon {

// database_damaged (info, critical): the first entry of the new database's chain. `when` is
// "start" or "running".
Event database_damaged(const std::string& gateway, const store::Damage& damage, WallMs now,
                       const std::string& when);

// storage_full raised at the first write the disk refused (ts = then), cleared at the first
// write that went through again; one id for the episode. Readings polled meanwhile wait in
// memory (the oldest dropped beyond a bound: `readings_dropped`).
Event storage_full_raised(const std::string& gateway, WallMs since, const std::string& message);
Event storage_full_cleared(const std::string& gateway, WallMs since, WallMs now,
                           size_t readings_dropped);

}  // namespace sealwatch::daemon
