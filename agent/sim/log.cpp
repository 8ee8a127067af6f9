#include "sim/log.hpp"

#include <unistd.h>

#include <chrono>
#include <string>

namespace sealwatch::sim {

void log_line(std::string_view message) {
    std::string line = "sealwatch-sim: ";
    line += message;
    line += '\n';
    // One write(2) per line, so lines from several threads never interleave.
    ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
    (void)rc;  // nowhere to report a failing stderr
}

std::string at_wall_ms() {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return " at " + std::to_string(ms);
}

}  // namespace sealwatch::sim
