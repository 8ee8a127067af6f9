#pragma once
// The service manager's notification protocol (sd_notify(3), sd_watchdog_enabled(3)), spoken
// here rather than through libsystemd: the agent needs two calls of it, and linking libsystemd
// for them cost about 1 MiB of RSS and seven shared libraries (libsystemd, libgcrypt,
// libgpg-error, libzstd, liblzma, liblz4, libcap; docs/performance.md, issue 14). The protocol
// is small and stable: one datagram of newline-separated KEY=VALUE assignments to the unix
// socket systemd names in $NOTIFY_SOCKET, and the keep-alive period in $WATCHDOG_USEC.
#include <chrono>
#include <optional>
#include <string_view>

#include "common/error.hpp"

namespace sealwatch::daemon::service_notify {

// Sends `text` (e.g. "READY=1\nSTATUS=running") as one datagram to the AF_UNIX datagram socket
// named by $NOTIFY_SOCKET: a file system path, or an abstract-namespace name when it starts
// with '@'. Unset or empty (not started by a service manager): sends nothing and succeeds.
// Fails when the variable names no usable socket or the send fails; it never exits.
Result<void> notify(std::string_view text);

// How often the service manager wants WATCHDOG=1 at the latest ($WATCHDOG_USEC, the unit's
// WatchdogSec; sd_watchdog_enabled(3) advises sending at half of it). nullopt: the manager does
// not watch this process ($WATCHDOG_USEC unset, or $WATCHDOG_PID set to another process's id,
// e.g. inherited from a parent). Fails when either variable is set but not a positive integer.
Result<std::optional<std::chrono::microseconds>> watchdog_timeout();

}  // namespace sealwatch::daemon::service_notify
