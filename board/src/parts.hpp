#pragma once
// The implementations behind board/board.hpp, one set per kind (linux, gpio, sim, null).
#include <memory>

#include "board/board.hpp"

namespace sealwatch::board::detail {

Result<std::unique_ptr<Watchdog>> open_linux_watchdog(const std::string& device, int timeout_s);
Result<std::unique_ptr<TamperInput>> open_gpio_tamper(const std::string& chip, int line,
                                                      bool active_low);
Result<std::unique_ptr<StatusLed>> open_sysfs_led(const std::string& name);
std::unique_ptr<Clock> linux_clock();
std::unique_ptr<StickWatch> linux_stick_watch(std::vector<std::string> mount_points);
Result<void> linux_enable_rs485(const std::string& device, bool rts_on_send);

Result<Board> open_sim(const Settings& settings);
Result<void> sim_enable_rs485(const std::string& dir, const std::string& device);

std::unique_ptr<Watchdog> null_watchdog();
std::unique_ptr<TamperInput> null_tamper();
std::unique_ptr<StatusLed> null_led();
std::unique_ptr<StickWatch> null_stick_watch();

}  // namespace sealwatch::board::detail
