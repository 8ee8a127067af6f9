#include "daemon/permissions.hpp"

#include <sys/stat.h>

#include <cstdio>

#include "chain/crypto.hpp"

namespace sealwatch::daemon {

namespace {

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// The file's mode, when it exists (a missing file is another check's business).
std::optional<mode_t> mode_of(const std::string& path) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
    return st.st_mode;
}

void check_private_key(const std::string& path, const std::string& what,
                       std::vector<std::string>& out) {
    auto mode = mode_of(path);
    if (!mode || (*mode & (S_IROTH | S_IWOTH)) == 0) return;
    out.push_back(path + ": " + what + " is " + ((*mode & S_IROTH) ? "readable" : "writable") +
                  " by every user (mode " + octal(*mode) + "); refused: chmod 600 " + path +
                  " (or 640 with the agent's group)");
}

}  // namespace

std::vector<std::string> permission_problems(const config::Config& cfg,
                                             const std::string& config_path) {
    std::vector<std::string> out;
    if (cfg.uplink.tls && !cfg.uplink.tls->key_file.empty())
        check_private_key(cfg.uplink.tls->key_file, "the TLS client key ([uplink.tls] key_file)",
                          out);
    check_private_key(chain::gateway_key_path(cfg.gateway.data_dir),
                      "the gateway key (it signs the evidence chain)", out);
    if (auto mode = mode_of(config_path)) {
        if (*mode & S_IWOTH)
            out.push_back(config_path + ": the config is writable by every user (mode " +
                          octal(*mode) + "); refused: chmod o-w " + config_path);
        else if ((*mode & S_IROTH) && !cfg.uplink.password.empty())
            out.push_back(config_path +
                          ": the config holds the broker password and is readable by every "
                          "user (mode " +
                          octal(*mode) + "); refused: chmod 640 " + config_path +
                          " (group: the agent's)");
    }
    return out;
}

}  // namespace sealwatch::daemon
