#pragma once
// What a DL/T 645 profile says (the `dlt645-2007` profile and users' own, docs/profiles.md):
// which data identifier holds each canonical quantity and how its digits read, and which
// identifiers hold the meter's own event counts, grouped by the identifier family a meter
// implements. Data, read from the profile's TOML by the shared TableReader; the values are
// decoded here so that the agent and the simulator read them the same way.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/table_reader.hpp"
#include "dlt645/exchange.hpp"
#include "dlt645/meter_time.hpp"

namespace sealwatch::dlt645 {

// One quantity: `bytes` BCD bytes whose last `decimals` digits follow the decimal point in the
// quantity's unit (XXX.X V: decimals 1; XX.XXXX kW as W: decimals 1).
struct Field {
    std::string quantity;  // a name from common/quantities.hpp
    DataId id = 0;
    uint8_t bytes = 0;
    uint8_t decimals = 0;
    bool is_signed = false;  // top bit of the most significant byte is the sign
};

// Every count a meter keeps is XXXXXX: three BCD bytes.
inline constexpr uint8_t kCountBytes = 3;

// One of the meter's own event counts: the sum of the three-byte counts at `counts_at` in the
// value of each identifier (one identifier for a plain total; a block of per-phase count and
// time pairs; or one identifier per phase).
struct EventCount {
    std::string event;  // the event a rising count raises: meter_cover_opened, ...
    std::string what;   // what the meter counts, for people: "meter cover opened"
    // The identifier family, where meters implement one of several: "dlt645-2007" (Table A.4)
    // or "state-grid" (the extended set). Empty: every meter has it.
    std::string family;
    std::vector<DataId> ids;
    uint8_t bytes = kCountBytes;  // the value's length for each identifier
    std::vector<uint8_t> counts_at{0};
    // The latest record of the event ("...01", one per phase for a per-phase count) and where
    // in it the event's time (dlt645/meter_time.hpp) starts. Empty: the record's format is not
    // known, its time is not read.
    std::vector<DataId> records;
    uint8_t record_time_at = 0;
};

// The event types a count may raise (contract, "More event types").
inline constexpr std::string_view kMeterEvents[] = {"meter_cover_opened", "meter_power_loss",
                                                    "meter_cleared", "meter_clock_set",
                                                    "meter_phase_failure"};

struct DataMap {
    std::vector<Field> fields;
    std::vector<EventCount> event_counts;

    // The families event_counts name, in the order they first appear: the order to probe.
    std::vector<std::string> families() const;
};

// Reads [fields] and [[event_count]] of a profile through the profile's own reader, so that
// problems land in the same log and unknown keys are reported there.
void read_data_map(TableReader& profile, DataMap& out);

// The field's value in its quantity's unit; nullopt when the value has the wrong length or
// digits that are no digits (a meter's "not available").
std::optional<double> field_value(const Field& field, std::span<const uint8_t> value);

// The count one identifier's value contributes; nullopt as above.
std::optional<uint64_t> count_value(const EventCount& count, std::span<const uint8_t> value);

// The time an event record holds at the count's record_time_at; nullopt when the record is
// too short or holds no valid time there (an empty record is zeros).
std::optional<MeterTime> record_time(const EventCount& count, std::span<const uint8_t> record);

// The inverse of field_value for the simulator: the value's bytes for `value`, rounded to the
// field's digits and clamped to what they can hold.
std::vector<uint8_t> encode_field(const Field& field, double value);

}  // namespace sealwatch::dlt645
