#include "common/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace sealwatch::log {

namespace {
std::atomic<int> g_max{static_cast<int>(Level::info)};
std::mutex g_mutex;

const char* name(Level level) {
    switch (level) {
        case Level::error:
            return "error";
        case Level::warning:
            return "warning";
        case Level::info:
            return "info";
        case Level::debug:
            return "debug";
    }
    return "";
}
}  // namespace

void set_level(Level max_level) {
    g_max = static_cast<int>(max_level);
}

bool enabled(Level level) {
    return static_cast<int>(level) <= g_max.load();
}

void write(Level level, std::string_view message) {
    std::string line = "<" + std::to_string(static_cast<int>(level)) + ">" + name(level) + ": ";
    line.append(message);
    line += '\n';
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace sealwatch::log
