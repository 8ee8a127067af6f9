#pragma once
// A stop request every listener thread can wait on with poll(): a pipe that becomes readable.
#include <atomic>

namespace sealwatch::sim {

class StopSignal {
  public:
    StopSignal();
    ~StopSignal();
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    void trigger();  // async-signal-safe
    bool stopped() const { return stopped_.load(); }
    int fd() const { return fds_[0]; }

  private:
    std::atomic<bool> stopped_{false};
    int fds_[2] = {-1, -1};
};

}  // namespace sealwatch::sim
