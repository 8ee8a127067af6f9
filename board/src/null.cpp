// Null parts: a board without a watchdog, tamper switch, LED or USB mount points.
#include "src/parts.hpp"

namespace sealwatch::board::detail {

namespace {

class NullWatchdog final : public Watchdog {
  public:
    Result<void> feed() override { return {}; }
    Result<void> disarm() override { return {}; }
    bool present() const override { return false; }
    bool caused_last_reset() const override { return false; }
    int timeout_s() const override { return 0; }
};

class NullTamper final : public TamperInput {
  public:
    Result<std::vector<bool>> changes() override { return std::vector<bool>{}; }
    Result<bool> open() override { return false; }
    bool present() const override { return false; }
};

class NullLed final : public StatusLed {
  public:
    Result<void> show(LedPattern) override { return {}; }
};

class NullStickWatch final : public StickWatch {
  public:
    Result<std::vector<std::string>> mounted() override { return std::vector<std::string>{}; }
};

}  // namespace

std::unique_ptr<Watchdog> null_watchdog() {
    return std::make_unique<NullWatchdog>();
}
std::unique_ptr<TamperInput> null_tamper() {
    return std::make_unique<NullTamper>();
}
std::unique_ptr<StatusLed> null_led() {
    return std::make_unique<NullLed>();
}
std::unique_ptr<StickWatch> null_stick_watch() {
    return std::make_unique<NullStickWatch>();
}

}  // namespace sealwatch::board::detail
