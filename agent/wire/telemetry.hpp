#pragma once
// P/telemetry: batches of readings, or minute rollups of readings that could not be sent raw
// (docs/protocol.md). Written by the store as it streams a message's rows, read back by the
// county office.
//
//   {"seq":N,"readings":[{"meter":"m1","ts":"…","values":{"p_w":…,…},"serial":"…",
//                         "clock_unsynced":true},…]}      serial and clock_unsynced optional
//   {"seq":N,"rollups":[{"meter":"m1","minute":"…","n":60,"p_min_w":…,"p_avg_w":…,"p_max_w":…,
//                        "e_imp_kwh":…,"e_exp_kwh":…},…]}
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "model/reading.hpp"
#include "wire/json.hpp"

namespace sealwatch::wire {

// One minute of one meter's readings, summarised (the store's retention under a full budget).
struct Rollup {
    std::string meter;
    WallMs minute = 0;
    int64_t n = 0;  // readings summarised
    std::optional<double> p_min_w, p_avg_w, p_max_w;
    std::optional<double> e_imp_kwh, e_exp_kwh;  // the last counter values of the minute
};

// The contract's reading object, appended to `out`: values in the order given, a non-finite
// value as null, "serial" only when there is one, "clock_unsynced":true only when the wall clock
// was not synchronised at the poll. Hand-written: drains build millions.
void append_reading(std::string& out, std::string_view meter, WallMs ts,
                    std::span<const QuantityValue> values, const std::string* serial,
                    bool clock_unsynced);
std::string reading_json(const Reading& reading);  // one object (sealwatchd --print-readings)

// A telemetry message, built one reading or rollup at a time.
class TelemetryWriter {
  public:
    explicit TelemetryWriter(uint64_t seq);
    void add(std::string_view meter, WallMs ts, std::span<const QuantityValue> values,
             const std::string* serial, bool clock_unsynced);
    void add(const Reading& reading);
    std::string finish();  // {"seq":N,"readings":[…]}

  private:
    std::string out_;
    bool first_ = true;
};

class RollupWriter {
  public:
    explicit RollupWriter(uint64_t seq);
    void add(const Rollup& rollup);
    std::string finish();  // {"seq":N,"rollups":[…]}

  private:
    std::string out_;
    bool first_ = true;
};

// A telemetry message as the county office reads it: exactly one of the two lists is there.
// Quantities the reader does not know (a newer gateway's) are skipped; a reading's mono_ns is
// not on the wire and reads as 0.
struct Telemetry {
    uint64_t seq = 0;
    std::vector<Reading> readings;
    std::vector<Rollup> rollups;
};
Result<Telemetry> parse_telemetry(std::string_view payload, const Limits& limits = {});

}  // namespace sealwatch::wire
