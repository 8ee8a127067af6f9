#include "sim/log.hpp"

#include <unistd.h>

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

}  // namespace sealwatch::sim
