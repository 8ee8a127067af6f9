#pragma once
// The evidence bundle of a period written to a folder while the agent runs, off the main loop:
// the gateway key, a read-only store connection (as `sealwatch export` uses while the agent
// runs) and evidence::export_bundle. The `export` command and the inspector's USB stick both
// write their bundle this way, then send it on (MQTT chunks, the stick).
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "evidence/bundle.hpp"

namespace sealwatch::daemon {

// Where a bundle is written before it is sent on: data_dir/exports/<name>, removed with
// whatever is in it when this goes out of scope (sent, failed or stopped alike).
class ScratchFolder {
  public:
    ScratchFolder(const config::Config& cfg, const std::string& name);
    ~ScratchFolder();
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
    const std::filesystem::path& path() const { return dir_; }

  private:
    std::filesystem::path dir_;
};

// `period`: the verified args of an export or inspect request (from, to, optional asset).
// Whatever stood in `dir` is removed first.
Result<evidence::ExportSummary> export_period(const config::Config& cfg,
                                              const nlohmann::json& period, const std::string& dir);

}  // namespace sealwatch::daemon
