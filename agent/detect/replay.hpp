#pragma once
// Replays the contract's analyze CSV through a Detector: what `sealwatch analyze --csv` runs,
// and what the scenario tests run. Header `ts,meter,<quantities...>` (plus the optional
// extension column `serial`); rows in time order; an empty cell = no value.
//
// History exported from other systems is dirty, and is analysed anyway (contract, "CSV for
// analyze"): a cell that is not a finite number or lies outside its quantity's physical range
// (common/physical_range.hpp) counts as absent for that row; a row that cannot be used (bad
// time, unknown or empty meter, wrong number of cells) is skipped; a row repeating a meter's
// previous timestamp is dropped (the detector sees each reading once); rows a little out of
// time order (up to kReorderWindowMs, e.g. timestamps jittered per meter) are put back in order,
// rows further behind are skipped. ReplayStats counts all of it; describe_dirt() says it in
// words. With `strict`, the first such problem ends the replay with "FILE:LINE: message"
// instead, and nothing is reordered (the behaviour before dirty history was accepted). A bad
// header or an empty file always ends it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "common/quantities.hpp"
#include "detect/detector.hpp"

namespace sealwatch::detect {

// How far (data time) a row may be behind the newest row read and still be put in its place.
// Covers exports whose timestamps carry a few seconds of jitter per meter, and meters of one
// poll stamped up to a minute apart.
inline constexpr WallMs kReorderWindowMs = 60'000;

struct ReplayOptions {
    bool strict = false;  // exit at the first bad cell or row instead of counting it
};

// Why a cell counted as absent.
enum class BadCell : uint8_t { not_a_number, not_finite, out_of_range };
inline constexpr size_t kBadCellKinds = 3;

// Why a row was not replayed.
enum class BadRow : uint8_t {
    bad_time,       // the ts cell is not RFC 3339 or Unix seconds
    no_meter,       // the meter cell is empty
    unknown_meter,  // the meter is not in the config
    cell_count,     // fewer or more cells than the header
    out_of_order,   // older than the rows already replayed (beyond kReorderWindowMs)
    duplicate,      // same meter and ts as a row already replayed
};
inline constexpr size_t kBadRowKinds = 6;

struct ReplayStats {
    uint64_t rows = 0;    // data rows handed to the detector
    uint64_t events = 0;  // events handed to the sink

    struct Cells {
        std::array<uint64_t, kBadCellKinds> count{};
        size_t first_line = 0;
        uint64_t total() const { return count[0] + count[1] + count[2]; }
    };
    std::array<Cells, kQuantities.size()> ignored_cells;  // per quantity column

    struct Rows {
        uint64_t count = 0;
        size_t first_line = 0;
        std::string first_problem;  // what was wrong with the first one
    };
    std::array<Rows, kBadRowKinds> skipped_rows;

    bool clean() const;  // nothing ignored, nothing skipped
};

using EventSink = std::function<void(const Event&)>;

// Errors are "FILE:LINE: message" (the CSV's line number, 1 = the header).
tl::expected<ReplayStats, std::string> replay_csv(const std::string& path, Detector& detector,
                                                  const EventSink& sink,
                                                  ReplayOptions options = {});
tl::expected<ReplayStats, std::string> replay_csv_text(std::string_view text, std::string_view name,
                                                       Detector& detector, const EventSink& sink,
                                                       ReplayOptions options = {});

// One line per column with ignored cells and per kind of skipped row, "NAME: ..." or
// "NAME:LINE: ..." (the first occurrence), for stderr. Empty when the file was clean.
std::vector<std::string> describe_dirt(const ReplayStats& stats, std::string_view name);

}  // namespace sealwatch::detect
