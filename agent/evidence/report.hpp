#pragma once
// report.html: the inspector's view of a bundle, one self-contained file (inline CSS and SVG,
// no script, no font or image from anywhere): per asset, power over the period with alarm spans
// and state changes marked, the alarm table, the state history; the verification summary and
// the key fingerprint. Labels in Chinese and English; prints on A4.
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "detect/timezone.hpp"
#include "model/event.hpp"

namespace sealwatch::evidence {

// Power of one meter in fixed time buckets over the period, and its import register at the
// first reading of each bucket (the energy drawn, as the meter itself counted it). Rows are added
// in time order per meter (the chain's order).
struct PowerSeries {
    std::vector<double> sum, min, max, imp;
    std::vector<int32_t> n;
    double imp_last = NAN;  // the register at the period's last reading
    explicit PowerSeries(size_t buckets = 0)
        : sum(buckets, 0.0),
          min(buckets, NAN),
          max(buckets, NAN),
          imp(buckets, NAN),
          n(buckets, 0) {}
    void add(size_t b, double w) {
        sum[b] += w;
        min[b] = n[b] ? std::fmin(min[b], w) : w;
        max[b] = n[b] ? std::fmax(max[b], w) : w;
        ++n[b];
    }
    void add_register(size_t b, double kwh) {
        if (std::isnan(imp[b])) imp[b] = kwh;
        imp_last = kwh;
    }
};

struct ReportData {
    std::string gateway, site, software;
    WallMs from = 0, to = 0, created = 0;
    std::optional<std::string> asset;  // the bundle's one asset, if any
    size_t buckets = 0;
    std::map<std::string, PowerSeries> meters;  // by meter id
    std::vector<Event> events;                  // every event in the bundle, chain order
    std::map<std::string, std::string> states;  // asset -> legal state now (set-state or config)
    detect::TimeZone zone;                      // [gateway] timezone, for the times people read
    std::string zone_name = "UTC";
    // What the export checked and signed.
    int64_t entries = 0, first_n = 0, last_n = 0, readings = 0, event_count = 0;
    int64_t rolled_up_entries = 0, rolled_up_readings = 0, corrupt_entries = 0;
    std::string head_before, head_after, fingerprint;
    // The meters whose values in the bundle were multiplied by CT/PT ratios, and by which
    // (more than one pair when the config changed within the period).
    std::map<std::string, std::set<std::pair<double, double>>> ratios;
    // Readings in the bundle taken while the gateway's wall clock was not synchronised.
    int64_t clock_unsynced_readings = 0;
};

std::string render_report(const ReportData& data, const config::Config& cfg);

}  // namespace sealwatch::evidence
