#pragma once
// A telemetry message's active power (p_w) as per-minute aggregates, for the county's power
// series (the web page's timeline). Pure. Readings of one meter and minute fold together; a
// gateway's own minute rollup (sent when its raw readings could not be) is one aggregate already.
// A value that is not finite or outside p_w's physical range (common/physical_range.hpp) is left
// out, as the agent leaves it out.
#include <vector>

#include "county/store/store.hpp"
#include "wire/telemetry.hpp"

namespace sealwatch::county {

// The minute a wall-clock time falls in (its start), for times before 1970 too.
WallMs minute_of(WallMs t);

// By meter, then minute.
std::vector<PowerMinute> power_minutes(const wire::Telemetry& telemetry);

}  // namespace sealwatch::county
