#pragma once
// Replays the contract's analyze CSV through a Detector: what `sealwatch analyze --csv` runs,
// and what the scenario tests run. Header `ts,meter,<quantities...>` (plus the optional
// extension column `serial`); rows in time order; an empty cell = no value.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "detect/detector.hpp"

namespace sealwatch::detect {

struct ReplayStats {
    uint64_t rows = 0;    // data rows read
    uint64_t events = 0;  // events handed to the sink
};

using EventSink = std::function<void(const Event&)>;

// Errors are "FILE:LINE: message" (the CSV's line number, 1 = the header).
tl::expected<ReplayStats, std::string> replay_csv(const std::string& path, Detector& detector,
                                                  const EventSink& sink);
tl::expected<ReplayStats, std::string> replay_csv_text(std::string_view text, std::string_view name,
                                                       Detector& detector, const EventSink& sink);

}  // namespace sealwatch::detect
