#include "cli/evidence_verbs.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "config/config.hpp"
#include "evidence/bundle.hpp"
#include "evidence/legal_state.hpp"
#include "store/store.hpp"

namespace sealwatch::cli {

namespace {

std::string db_path(const config::Config& cfg) {
    return store::database_path(cfg.gateway.data_dir);
}

std::optional<config::Config> load_config(const std::string& path) {
    auto cfg = config::load(path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cerr << p << '\n';
        return std::nullopt;
    }
    return std::move(*cfg);
}

}  // namespace

int run_export(const std::string& config_path, const std::string& from, const std::string& to,
               const std::string& out_dir, const std::optional<std::string>& asset,
               const std::optional<std::string>& database) {
    auto cfg = load_config(config_path);
    if (!cfg) return 2;
    auto t0 = parse_time(from), t1 = parse_time(to);
    if (!t0 || !t1) {
        std::cerr << "sealwatch export: --from/--to take RFC 3339 (2026-11-21T22:00:00Z) or Unix "
                     "seconds\n";
        return 2;
    }
    auto path = database.value_or(db_path(*cfg));
    if (!std::filesystem::exists(path)) {
        std::cerr << "sealwatch export: no database at " << path << '\n';
        return 1;
    }
    auto key = chain::SigningKey::load_pem(chain::gateway_key_path(cfg->gateway.data_dir));
    if (!key) {
        std::cerr << "sealwatch export: cannot use the gateway key: " << key.error().message
                  << " (created by sealwatchd at its first start, or sealwatchd --init-key; "
                     "reading it needs the agent's user)\n";
        return 1;
    }
    auto store = store::Store::open_read_only(path);
    if (!store) {
        std::cerr << "sealwatch export: " << store.error().message << '\n';
        return 1;
    }
    auto started = std::chrono::steady_clock::now();
    evidence::ExportOptions opt{*t0, *t1, asset, out_dir};
    auto sum = evidence::export_bundle(*store, *cfg, *key, opt);
    if (!sum) {
        std::cerr << "sealwatch export: " << sum.error().message << '\n';
        return 1;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "exported to " << out_dir << ": chain entries " << sum->first_n << "-"
              << sum->last_n << ", " << sum->readings << " reading(s), " << sum->events
              << " event(s)";
    if (asset)
        std::cout << " for " << *asset << " (+ " << sum->context_readings << " reading(s), "
                  << sum->context_events << " event(s) of other meters in context/)";
    std::cout << ", " << std::fixed;
    std::cout.precision(1);
    std::cout << s << " s\nsigned by key " << sum->fingerprint << '\n';
    if (sum->rolled_up_entries > 0)
        std::cout << "note: " << sum->rolled_up_readings
                  << " raw reading(s) of the period had already been rolled up into minute "
                     "averages (retention); the bundle holds their digests only\n";
    if (sum->corrupt_entries > 0) {
        std::cerr << "sealwatch export: WARNING: " << sum->corrupt_entries
                  << " chain entr(ies) no longer match the stored records (storage damage or "
                     "tampering on the gateway); they are in the bundle as stored, and verify "
                     "will name the first\n";
        return 1;
    }
    return 0;
}

int run_verify(const std::string& dir, const std::optional<std::string>& pubkey_path,
               const std::optional<std::string>& config_path) {
    std::optional<std::string> key_path = pubkey_path;
    if (!key_path && config_path) {
        auto cfg = load_config(*config_path);
        if (!cfg) return 2;
        key_path = chain::gateway_pub_path(cfg->gateway.data_dir);
    }
    std::optional<chain::PublicKey> expected;
    if (key_path) {
        auto k = chain::load_public_key(*key_path);
        if (!k) {
            std::cerr << "sealwatch verify: " << k.error().message << '\n';
            return 2;
        }
        expected = *k;
    }
    if (!std::filesystem::is_directory(dir)) {
        std::cerr << "sealwatch verify: " << dir << " is not a folder\n";
        return 2;
    }
    auto rep = evidence::verify_bundle(dir, expected);
    if (!rep.ok) {
        std::cout << "NOT INTACT: " << rep.problem << '\n';
        for (const auto& n : rep.notes) std::cout << "  " << n << '\n';
        return 1;
    }
    if (!expected) {
        // Sound against the key it carries, which proves nothing about who signed it.
        std::cout << "KEY NOT PINNED: " << dir
                  << " is consistent and signed, but by a key nobody vouched for; give --pubkey "
                     "gateway.pub from a trusted source (or --config on the gateway) and compare "
                     "the fingerprint below with the county office's record\n";
        for (const auto& n : rep.notes) std::cout << "  " << n << '\n';
        return kVerifyKeyNotPinned;
    }
    std::cout << "INTACT: " << dir << '\n';
    for (const auto& n : rep.notes) std::cout << "  " << n << '\n';
    return 0;
}

int run_set_state(const std::string& config_path, const std::string& asset,
                  const std::string& state, const std::string& by, const std::string& note,
                  int wait_s) {
    auto cfg = load_config(config_path);
    if (!cfg) return 2;
    bool known = false;
    for (const auto& a : cfg->assets) known = known || a.id == asset;
    if (!known) {
        std::cerr << "sealwatch asset set-state: asset '" << asset << "' is not in " << config_path
                  << '\n';
        return 2;
    }
    if (!config::parse_asset_state(state)) {
        std::cerr << "sealwatch asset set-state: '" << state
                  << "' is not a state (operating, rectifying, shut, sealed, dismantled)\n";
        return 2;
    }
    if (by.empty()) {
        std::cerr << "sealwatch asset set-state: --by must name who decides the change\n";
        return 2;
    }
    auto store = evidence::open_to_queue(*cfg);
    if (!store) {
        std::cerr << "sealwatch asset set-state: " << store.error().message << '\n';
        return 1;
    }
    store::StateCommand c;
    c.created_ms = wall_now_ms();
    c.asset = asset;
    c.state = state;
    c.by = by;
    c.note = note;
    auto id = store->queue_state_command(c);
    if (!id) {
        std::cerr << "sealwatch asset set-state: cannot queue the change: " << id.error().message
                  << '\n';
        return 1;
    }
    auto report = [&](const store::StateCommand& done) {
        if (done.status == "applied") {
            std::cout << asset << ": " << state << " (by " << by << ")";
            if (done.chain_n > 0) std::cout << ", recorded as chain entry " << done.chain_n;
            if (!done.message.empty()) std::cout << "; " << done.message;
            std::cout << '\n';
            return 0;
        }
        std::cerr << "sealwatch asset set-state: refused: " << done.message << '\n';
        return 1;
    };
    // No agent running: apply it here, holding the agent's lock so none starts meanwhile.
    if (auto lock = evidence::AgentLock::acquire(cfg->gateway.data_dir, 0, false)) {
        auto applied = evidence::apply_without_agent(*store, *cfg);
        if (!applied) {
            std::cerr << "sealwatch asset set-state: " << applied.error().message
                      << " (the change stays queued as command " << *id
                      << "; sealwatchd applies it at its start)\n";
            return 1;
        }
    } else {
        auto pid = evidence::agent_pid(cfg->gateway.data_dir);
        std::cout << "sealwatchd" << (pid ? " (pid " + std::to_string(*pid) + ")" : "")
                  << " is running: handed over as command " << *id << "\n";
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
        while (std::chrono::steady_clock::now() < deadline) {
            auto cmd = store->state_command(*id);
            if (cmd && *cmd && (*cmd)->status != "pending") return report(**cmd);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        std::cerr << "sealwatch asset set-state: the agent has not applied command " << *id
                  << " within " << wait_s
                  << " s. It stays queued and will be applied in order (also after a restart); "
                     "check with `sealwatch status`.\n";
        return 3;
    }
    auto cmd = store->state_command(*id);
    if (!cmd || !*cmd) {
        std::cerr << "sealwatch asset set-state: command " << *id << " vanished\n";
        return 1;
    }
    return report(**cmd);
}

}  // namespace sealwatch::cli
