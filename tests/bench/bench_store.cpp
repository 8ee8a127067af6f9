// Store ingest benchmark (docs/performance.md, "Store ingest"), also the pre-fill for the drain
// benchmark: appends N readings to a fresh SQLite store through the store API
// (Store::append_readings), in batches as the daemon does, and reports readings/s, CPU time,
// and bytes on disk per reading.
//
//   bench_store --db FILE [--readings N] [--batch B] [--values V] [--meters M] [--keep]
//
// A "reading" is what the daemon stores per meter poll: one row (meter, ts, packed values,
// serial) with V values packed at 9 bytes each. Meters are named m01..mM; meter k's reading i
// has ts = t0 + i * 1000 ms, i.e. M meters polled once a second. Values are varied (not
// constant) so nothing compresses unfairly. The file is deleted first, and again at the end
// unless --keep (the drain benchmark keeps it).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace {

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// The last occurrence wins, so a wrapper's defaults can be overridden by appending.
long arg_long(int argc, char** argv, const char* name, long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) fallback = std::strtol(argv[i + 1], nullptr, 10);
    return fallback;
}

const char* arg_str(int argc, char** argv, const char* name) {
    const char* found = nullptr;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) found = argv[i + 1];
    return found;
}

bool flag(int argc, char** argv, const char* name) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return true;
    return false;
}

uint64_t file_size(const std::string& path) {
    std::error_code ec;
    auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace sealwatch;
    const char* db = arg_str(argc, argv, "--db");
    if (!db || flag(argc, argv, "--help")) {
        std::fprintf(stderr,
                     "usage: bench_store --db FILE [--readings N] [--batch B] [--values V] "
                     "[--meters M] [--keep]\n");
        return 2;
    }
    const long total = arg_long(argc, argv, "--readings", 1000000);
    const long batch = arg_long(argc, argv, "--batch", 1000);
    const long nvalues = arg_long(argc, argv, "--values", 8);
    const long meters = arg_long(argc, argv, "--meters", 32);
    const bool keep = flag(argc, argv, "--keep");
    if (total <= 0 || batch <= 0 || nvalues <= 0 || nvalues > 23 || meters <= 0) {
        std::fprintf(stderr, "bench_store: bad arguments\n");
        return 2;
    }
    const std::string path = db;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);

    store::Options options;
    options.budget_bytes = 1LL << 40;  // retention is not part of ingest
    auto opened = store::Store::open(path, options);
    if (!opened) {
        std::fprintf(stderr, "bench_store: %s\n", opened.error().message.c_str());
        return 1;
    }
    store::Store& s = *opened;

    // Prepare all batches up front: the figure is the store's cost, not building readings.
    std::vector<std::string> names;
    for (long m = 1; m <= meters; ++m) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "m%02ld", m);
        names.emplace_back(buf);
    }
    const WallMs t0 = wall_now_ms() - (total / meters + 1) * 1000;  // all in the past
    std::vector<Reading> readings(static_cast<size_t>(total));
    for (long i = 0; i < total; ++i) {
        auto& r = readings[static_cast<size_t>(i)];
        r.meter = names[static_cast<size_t>(i % meters)];
        r.wall_ms = t0 + (i / meters) * 1000;
        r.mono_ns = 0;
        r.values.reserve(static_cast<size_t>(nvalues));
        for (long q = 0; q < nvalues; ++q)
            r.values.push_back({static_cast<uint8_t>(q),
                                230.0 + static_cast<double>((i * 7 + q * 13) % 1000) * 0.01});
    }

    const double c0 = cpu_seconds();
    const auto w0 = std::chrono::steady_clock::now();
    for (long i = 0; i < total; i += batch) {
        long n = std::min(batch, total - i);
        auto r = s.append_readings(
            std::span<const Reading>(readings.data() + i, static_cast<size_t>(n)));
        if (!r) {
            std::fprintf(stderr, "bench_store: append: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    const double cpu = cpu_seconds() - c0;

    const uint64_t db_bytes = file_size(path), wal_bytes = file_size(path + "-wal");
    // Measured through a connection of its own: the store has no door to raw SQL.
    auto raw = sealwatch::sqlite::Db::open(path);
    if (!raw) {
        std::fprintf(stderr, "bench_store: %s\n", raw.error().message.c_str());
        return 1;
    }
    (void)raw->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const uint64_t db_after = file_size(path);
    auto pages = raw->scalar("PRAGMA page_count");
    auto freelist = raw->scalar("PRAGMA freelist_count");
    auto page_size = raw->scalar("PRAGMA page_size");
    auto payload = raw->scalar("SELECT sum(length(vals)) FROM readings");

    std::printf(
        "{\"readings\":%ld,\"batch\":%ld,\"values\":%ld,\"meters\":%ld,"
        "\"wall_s\":%.3f,\"cpu_s\":%.3f,\"readings_per_s\":%.0f,\"values_per_s\":%.0f,"
        "\"cpu_us_per_reading\":%.3f,"
        "\"db_bytes_before_checkpoint\":%llu,\"wal_bytes_before_checkpoint\":%llu,"
        "\"db_bytes\":%llu,\"page_size\":%lld,\"pages\":%lld,\"free_pages\":%lld,"
        "\"vals_blob_bytes\":%lld,\"bytes_per_reading\":%.1f,\"bytes_per_value\":%.2f}\n",
        total, batch, nvalues, meters, wall, cpu, static_cast<double>(total) / wall,
        static_cast<double>(total * nvalues) / wall, cpu * 1e6 / static_cast<double>(total),
        static_cast<unsigned long long>(db_bytes), static_cast<unsigned long long>(wal_bytes),
        static_cast<unsigned long long>(db_after), page_size ? *page_size : -1LL,
        pages ? *pages : -1LL, freelist ? *freelist : -1LL, payload ? *payload : -1LL,
        static_cast<double>(db_after) / static_cast<double>(total),
        static_cast<double>(db_after) / static_cast<double>(total * nvalues));
    if (!keep)
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return 0;
}
