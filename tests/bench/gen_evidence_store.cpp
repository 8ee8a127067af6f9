// Fills a store with synthetic history for the evidence benchmarks and tests (docs/performance.md,
// "Evidence export and verify"): M meters polled every I seconds for D days, one committed batch
// per poll round (as the agent's flush does), 6 values per reading, an alarm raised and
// cleared on furnace-1 every day (its nightly heat), and a state change on day 2. Writes through
// the store API, so the chain is the real one.
//
//   gen_evidence_store --db FILE [--meters 32] [--days 365] [--interval-s 60]
//                      [--start 1767225600] [--sealed-asset furnace-1]
//
// Meters are m1..mM; asset furnace-1 is fed by m1. A matching config: tests/integration/
// evidence_common.py writes one.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/quantities.hpp"
#include "store/store.hpp"

using namespace sealwatch;

namespace {

long arg_long(int argc, char** argv, const char* name, long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
    return fallback;
}

const char* arg_str(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    const char* db = arg_str(argc, argv, "--db", nullptr);
    if (!db) {
        std::fprintf(stderr,
                     "usage: gen_evidence_store --db FILE [--meters M] [--days D] "
                     "[--interval-s I] [--start UNIX]\n");
        return 2;
    }
    const long meters = arg_long(argc, argv, "--meters", 32);
    const long days = arg_long(argc, argv, "--days", 365);
    const long interval_s = arg_long(argc, argv, "--interval-s", 60);
    const WallMs start = arg_long(argc, argv, "--start", 1767225600) * 1000LL;  // 2026-01-01
    const std::string asset = arg_str(argc, argv, "--sealed-asset", "furnace-1");
    std::filesystem::remove(db);
    std::filesystem::remove(std::string(db) + "-wal");
    store::Options opt;
    opt.budget_bytes = INT64_MAX;
    opt.raw_retention_days = 36500;
    auto st = store::Store::open(db, opt);
    if (!st) {
        std::fprintf(stderr, "%s\n", st.error().message.c_str());
        return 1;
    }
    constexpr uint8_t qp = quantity_index("p_w"), qe = quantity_index("e_imp_kwh"),
                      qu = quantity_index("u_l1_v"), qi = quantity_index("i_l1_a"),
                      qpf = quantity_index("pf"), qf = quantity_index("f_hz");
    std::vector<double> energy(static_cast<size_t>(meters), 1000.0);
    std::vector<Reading> batch(static_cast<size_t>(meters));
    for (long m = 0; m < meters; ++m) {
        batch[static_cast<size_t>(m)].meter = "m" + std::to_string(m + 1);
        batch[static_cast<size_t>(m)].values.resize(6);
    }
    const long rounds = days * 86400 / interval_s;
    auto t0 = std::chrono::steady_clock::now();
    for (long r = 0; r < rounds; ++r) {
        const WallMs ts = start + r * interval_s * 1000;
        const long minute_of_day = (r * interval_s / 60) % 1440;
        for (long m = 0; m < meters; ++m) {
            auto& rd = batch[static_cast<size_t>(m)];
            // m1 is the sealed furnace: standby, but a 40-minute heat at 02:00 every day.
            double p = m == 0 ? ((minute_of_day >= 120 && minute_of_day < 160) ? 850000.0 : 180.0)
                              : 20000.0 + 5000.0 * std::sin(static_cast<double>(r + m) / 97.0);
            energy[static_cast<size_t>(m)] += p * static_cast<double>(interval_s) / 3.6e6;
            rd.wall_ms = ts + m * 20;  // a poll round takes a moment
            rd.values[0] = {qp, std::round(p * 10) / 10};
            rd.values[1] = {qe, std::round(energy[static_cast<size_t>(m)] * 100) / 100};
            rd.values[2] = {qu, 230.0 + static_cast<double>((r + m) % 7) * 0.1};
            rd.values[3] = {qi, std::round(p / 230.0 / 3.0 * 100) / 100};
            rd.values[4] = {qpf, 0.95};
            rd.values[5] = {qf, 50.0};
            if (r == 0)
                rd.serial = "SN" + std::to_string(100000 + m);
            else
                rd.serial.reset();
        }
        if (auto a = st->append_readings(batch); !a) {
            std::fprintf(stderr, "%s\n", a.error().message.c_str());
            return 1;
        }
        if (r * interval_s == 86400 + 10 * 3600) {  // day 2, 10:00: an inspector's visit
            Event e;
            e.type = "asset_state_changed";
            e.asset = asset;
            e.ts = e.started = ts;
            e.id = "gw-bench:asset_state_changed:" + asset + ":" + std::to_string(ts);
            e.details["by"] = "县工信局 王明 Wang Ming";
            e.details["from"] = "sealed";
            e.details["to"] = "rectifying";
            e.details["note"] = "限期整改 rectify by 2026-07-01";
            if (auto a = st->append_event(e); !a) {
                std::fprintf(stderr, "%s\n", a.error().message.c_str());
                return 1;
            }
        }
        if (minute_of_day == 122 || minute_of_day == 161) {
            Event e;
            e.type = "reenergized";
            e.asset = asset;
            e.meter = "m1";
            e.severity = Severity::critical;
            e.state = minute_of_day == 122 ? EventState::raised : EventState::cleared;
            long day = r * interval_s / 86400;
            e.started = start + day * 86400000LL + 120 * 60000LL;
            e.ts = ts;
            e.id = "gw-bench:reenergized:" + asset + ":" + std::to_string(e.started);
            e.details["power_w"] = 850000.0;
            if (auto a = st->append_event(e); !a) {
                std::fprintf(stderr, "%s\n", a.error().message.c_str());
                return 1;
            }
        }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%ld rounds x %ld meters = %ld readings, %lld chain entries, %.1f s\n", rounds,
                meters, rounds * meters, static_cast<long long>(st->chain_length()), s);
    return 0;
}
