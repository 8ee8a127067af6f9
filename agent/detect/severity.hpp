#pragma once
// How grave an event is: one table, event type x the state of the asset it concerns
// (docs/detection.md, "Severity"). Every event the detector emits, and every alarm it lists as
// open, takes its severity from here, so a raised event and its listing cannot disagree.
#include <string_view>

#include "config/config.hpp"
#include "model/event.hpp"

namespace sealwatch::detect {

// `state`: the state of the event's asset (operating where the event has none). For
// unmetered_load, the gravest state among the balance's sub-meters' assets.
// A type not in the table is a programming error: Severity::info.
Severity severity(std::string_view type, config::AssetState state);

}  // namespace sealwatch::detect
