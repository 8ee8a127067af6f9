#include "cli/analyze.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/replay.hpp"
#include "wire/event.hpp"

namespace sealwatch::cli {

int run_analyze(const std::string& config_path, const std::string& csv_path,
                AnalyzeOptions options) {
    auto cfg = config::load(config_path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cerr << p << '\n';
        return 2;
    }
    bool tz_ok = true;
    auto tz = detect::TimeZone::load(cfg->gateway.timezone, &tz_ok);
    if (!tz_ok)
        std::cerr << "sealwatch analyze: cannot read time zone \"" << cfg->gateway.timezone
                  << "\"; night hours are taken in UTC\n";
    detect::Detector detector(*cfg, std::move(tz));
    std::string line;
    auto t0 = std::chrono::steady_clock::now();
    auto result = detect::replay_csv(csv_path, detector,
                                     [&](const Event& e) {
                                         line = wire::event_json(e).dump();
                                         line += '\n';
                                         std::fwrite(line.data(), 1, line.size(), stdout);
                                     },
                                     {.strict = options.strict});
    std::fflush(stdout);
    if (!result) {
        std::cerr << result.error() << '\n';
        return 2;
    }
    // Dirty history is analysed, not refused: what was left out is said, not hidden.
    for (const auto& l : detect::describe_dirt(*result, csv_path)) std::cerr << l << '\n';
    if (options.stats) {
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "%llu rows, %llu events, %.3f s, %.0f rows/s\n",
                     static_cast<unsigned long long>(result->rows),
                     static_cast<unsigned long long>(result->events), s,
                     s > 0 ? static_cast<double>(result->rows) / s : 0.0);
    }
    return 0;
}

}  // namespace sealwatch::cli
