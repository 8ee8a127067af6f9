#include "daemon/local_export.hpp"

#include <filesystem>

#include "chain/crypto.hpp"
#include "common/clock.hpp"
#include "store/store.hpp"

namespace sealwatch::daemon {

ScratchFolder::ScratchFolder(const config::Config& cfg, const std::string& name)
    : dir_(std::filesystem::path(cfg.gateway.data_dir) / "exports" / name) {}

ScratchFolder::~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

Result<evidence::ExportSummary> export_period(const config::Config& cfg,
                                              const nlohmann::json& period,
                                              const std::string& dir) {
    const auto& data_dir = cfg.gateway.data_dir;
    auto key = chain::SigningKey::load_pem(chain::gateway_key_path(data_dir));
    if (!key) return fail("no gateway key: " + key.error().message);
    auto store = store::Store::open_read_only(store::database_path(data_dir));
    if (!store) return fail("store: " + store.error().message);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    evidence::ExportOptions options;
    // The verifier checked both (command::args_problem) before anything is carried out.
    options.from = *parse_time(period.at("from").get<std::string>());
    options.to = *parse_time(period.at("to").get<std::string>());
    if (period.contains("asset")) options.asset = period.at("asset").get<std::string>();
    options.out_dir = dir;
    auto summary = evidence::export_bundle(*store, cfg, *key, options);
    if (!summary) return fail("export: " + summary.error().message);
    return summary;
}

}  // namespace sealwatch::daemon
