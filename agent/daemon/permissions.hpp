#pragma once
// Least privilege at start (and at every reload): the agent refuses to run on secrets that
// every local user can read, or on a config that every local user can change. Checked:
//   - the TLS client key ([uplink.tls] key_file) and the gateway key (data_dir/gateway.key):
//     not readable or writable by others (mode o-rw: 0600, or 0640 with the agent's group);
//   - the config file: not writable by others; not readable by others when it holds a broker
//     password.
// One message per problem, naming the file, its mode and the fix. docs/security.md.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace sealwatch::daemon {

std::vector<std::string> permission_problems(const config::Config& cfg,
                                             const std::string& config_path);

}  // namespace sealwatch::daemon
