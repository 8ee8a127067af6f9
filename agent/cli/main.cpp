// sealwatch: the operator's and inspector's tool. Verbs grow with the agent; each takes --config.
// Started as `sealwatch` (multicall/programs.hpp).
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/analyze.hpp"
#include "cli/evidence_verbs.hpp"
#include "cli/meter_verbs.hpp"
#include "cli/status.hpp"
#include "cli/test_alarm.hpp"
#include "config/config.hpp"
#include "multicall/programs.hpp"

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

int sealwatch::programs::sealwatch(int argc, char** argv) {
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
    bool analyze_strict = false;
    auto* analyze = app.add_subcommand(
        "analyze", "replay readings from a CSV through the detector; events as JSON lines");
    analyze->add_option("-c,--config", config_path, "configuration file");
    analyze->add_option("--csv", csv_path, "readings: ts,meter,<quantities...>")->required();
    analyze->add_flag("--stats", analyze_stats, "print rows, events and throughput on stderr");
    analyze->add_flag("--strict", analyze_strict,
                      "exit 2 at the first bad cell or row instead of ignoring it");

    auto* status = app.add_subcommand(
        "status",
        "meters, assets, open alarms, uplink backlog (read-only; works while the agent runs)");
    status->add_option("-c,--config", config_path, "configuration file");
    bool status_json = false;
    status->add_flag("--json", status_json, "the same as JSON, times in UTC (RFC 3339)");

    std::string from, to, out_dir, bundle_dir, asset_id, new_state, by, note;
    std::optional<std::string> export_asset, export_database, pubkey, verify_config;
    int wait_s = 15;
    auto* exp = app.add_subcommand("export", "write an evidence bundle for a period (and asset)");
    exp->add_option("-c,--config", config_path, "configuration file");
    exp->add_option("--from", from, "start (RFC 3339 or Unix seconds)")->required();
    exp->add_option("--to", to, "end, exclusive (RFC 3339 or Unix seconds)")->required();
    exp->add_option("--out", out_dir, "folder to write the bundle into (new or empty)")->required();
    exp->add_option("--asset", export_asset, "only this asset's meters and events");
    exp->add_option("--database", export_database,
                    "read this database instead of the config's (a damaged one kept in "
                    "data_dir/damaged/)");
    auto* ver = app.add_subcommand(
        "verify",
        "check an evidence bundle offline: exit 0 intact, 1 not (naming the first bad "
        "record), 3 sound but signed by a key that was not pinned (no --pubkey/--config)");
    ver->add_option("dir", bundle_dir, "the bundle's folder")->required();
    ver->add_option("--pubkey", pubkey,
                    "the gateway's public key (gateway.pub) it must be signed with");
    ver->add_option("-c,--config", verify_config,
                    "on the gateway: pin the key to this gateway's own gateway.pub");
    auto* asset_cmd = app.add_subcommand("asset", "assets");
    asset_cmd->require_subcommand(1);
    auto* set_state = asset_cmd->add_subcommand(
        "set-state", "record a legal state change (applied live by the running agent)");
    set_state->add_option("-c,--config", config_path, "configuration file");
    set_state->add_option("asset", asset_id, "asset id")->required();
    set_state->add_option("state", new_state, "operating|rectifying|shut|sealed|dismantled")
        ->required();
    set_state->add_option("--by", by, "who decided it (name, office)")->required();
    set_state->add_option("--note", note, "why: decision number, seal number, ...");
    set_state->add_option("--wait", wait_s, "seconds to wait for the running agent (default 15)");

    std::string test_asset, test_by, test_note;
    int test_wait_s = 15;
    auto* test_alarm = app.add_subcommand(
        "test-alarm",
        "commissioning: have the running agent send a clearly marked test event to the county "
        "office (never counted as an alarm)");
    test_alarm->add_option("-c,--config", config_path, "configuration file");
    test_alarm->add_option("--asset", test_asset, "asset id the test is about")->required();
    test_alarm->add_option("--by", test_by, "who runs the test (default: the user running this)");
    test_alarm->add_option("--note", test_note, "why: commissioning ticket, ...");
    test_alarm->add_option("--wait", test_wait_s,
                           "seconds to wait for the running agent (default 15)");

    std::string discover_bus;
    auto* meter_cmd = app.add_subcommand("meter", "meters on a bus (commissioning)");
    meter_cmd->require_subcommand(1);
    auto* discover = meter_cmd->add_subcommand(
        "discover",
        "the address of the one DL/T 645 meter on a dlt645 bus (read-address command), and a "
        "[[meter]] table for it; stop the agent first");
    discover->add_option("-c,--config", config_path, "configuration file");
    discover->add_option("--bus", discover_bus, "the dlt645 bus's id")->required();

    CLI11_PARSE(app, argc, argv);
    if (discover->parsed()) return cli::run_meter_discover(config_path, discover_bus);
    if (exp->parsed())
        return cli::run_export(config_path, from, to, out_dir, export_asset, export_database);
    if (ver->parsed()) return cli::run_verify(bundle_dir, pubkey, verify_config);
    if (set_state->parsed())
        return cli::run_set_state(config_path, asset_id, new_state, by, note, wait_s);
    if (test_alarm->parsed())
        return cli::run_test_alarm(config_path, test_asset, test_by, test_note, test_wait_s);
    if (status->parsed()) return cli::run_status(config_path, status_json);
    if (analyze->parsed())
        return cli::run_analyze(config_path, csv_path,
                                {.stats = analyze_stats, .strict = analyze_strict});
    if (check->parsed()) return config_check(config_path);
    if (list->parsed()) return profiles_list(config_path);
    return 1;
}
