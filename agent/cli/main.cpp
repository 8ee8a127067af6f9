// sealwatch: the operator's and inspector's tool. Verbs grow with the agent; each takes --config.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/analyze.hpp"
#include "cli/status.hpp"
#include "config/config.hpp"

using namespace sealwatch;

namespace {

int config_check(const std::string& path) {
    auto cfg = config::load(path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cout << p << '\n';
        return 2;
    }
    std::cout << path << ": ok (" << cfg->buses.size() << " bus(es), " << cfg->meters.size()
              << " meter(s), " << cfg->assets.size() << " asset(s))\n";
    return 0;
}

int profiles_list(const std::string& path) {
    auto cfg = config::load(path);
    profiles::Catalog catalog = cfg ? cfg->profiles : profiles::Catalog::builtin();
    for (const auto& id : catalog.ids()) {
        const auto* p = catalog.find(id);
        std::cout << id << "\t" << p->manufacturer << " " << p->model << "\t" << p->origin << '\n';
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sealwatch - operator and inspector tool for the sealwatch agent"};
    app.set_version_flag("--version", std::string("sealwatch ") + SEALWATCH_VERSION);
    app.require_subcommand(1);
    std::string config_path = "/etc/sealwatch/sealwatch.toml";

    auto* cfg_cmd = app.add_subcommand("config", "configuration");
    cfg_cmd->require_subcommand(1);
    auto* check =
        cfg_cmd->add_subcommand("check", "validate the config: exit 0 if valid, 2 if not");
    check->add_option("-c,--config", config_path, "configuration file");

    auto* prof_cmd = app.add_subcommand("profiles", "meter profiles");
    prof_cmd->require_subcommand(1);
    auto* list = prof_cmd->add_subcommand("list", "list known profiles (built-in and user)");
    list->add_option("-c,--config", config_path, "configuration file (for profile_dirs)");

    std::string csv_path;
    bool analyze_stats = false;
    auto* analyze = app.add_subcommand(
        "analyze", "replay readings from a CSV through the detector; events as JSON lines");
    analyze->add_option("-c,--config", config_path, "configuration file");
    analyze->add_option("--csv", csv_path, "readings: ts,meter,<quantities...>")->required();
    analyze->add_flag("--stats", analyze_stats, "print rows, events and throughput on stderr");

    auto* status = app.add_subcommand(
        "status", "meters, assets, open alarms, uplink backlog (read-only; works while the agent runs)");
    status->add_option("-c,--config", config_path, "configuration file");

    CLI11_PARSE(app, argc, argv);
    if (status->parsed()) return cli::run_status(config_path);
    if (analyze->parsed()) return cli::run_analyze(config_path, csv_path, analyze_stats);
    if (check->parsed()) return config_check(config_path);
    if (list->parsed()) return profiles_list(config_path);
    return 1;
}
