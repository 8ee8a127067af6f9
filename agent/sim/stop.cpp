#include "sim/stop.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace sealwatch::sim {

StopSignal::StopSignal() {
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) fds_[0] = fds_[1] = -1;
}

StopSignal::~StopSignal() {
    for (int fd : fds_)
        if (fd >= 0) ::close(fd);
}

void StopSignal::trigger() {
    stopped_.store(true);
    if (fds_[1] >= 0) {
        char c = 1;
        ssize_t rc = ::write(fds_[1], &c, 1);
        (void)rc;  // a full pipe is already readable
    }
}

}  // namespace sealwatch::sim
