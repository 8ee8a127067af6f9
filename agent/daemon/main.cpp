// sealwatchd: the agent. Parses the command line, takes signals on one thread (SIGTERM/SIGINT:
// clean stop; SIGHUP: re-read the config, keep the running one if the new one has problems) and
// hands over to daemon::run. Started as `sealwatchd` (multicall/programs.hpp).
#include <csignal>
#include <iostream>
#include <thread>

#include <pthread.h>

#include <CLI/CLI.hpp>

#include "chain/crypto.hpp"
#include "common/log.hpp"
#include "config/config.hpp"
#include "daemon/agent.hpp"
#include "multicall/programs.hpp"

using namespace sealwatch;

int sealwatch::programs::sealwatchd(int argc, char** argv) {
    // Block the signals first, before any thread starts (so every thread inherits the mask and
    // only the signal thread receives them, with sigwait) and before anything slow: a SIGTERM
    // during start-up is then a clean stop, not death by default action.
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a broker that closes the socket is an error value, not death

    daemon::RunOptions opt;
    opt.config_path = "/etc/sealwatch/sealwatch.toml";
    bool check = false;
    bool verbose = false;
    CLI::App app{"sealwatchd - watches the energy meters of shut and sealed equipment"};
    app.add_option("-c,--config", opt.config_path, "configuration file (TOML)");
    app.add_flag("--check", check, "validate the configuration and exit (0 valid, 2 not)");
    bool init_key = false;
    app.add_flag("--init-key", init_key,
                 "create the gateway signing key in data_dir if there is none (idempotent), "
                 "print its fingerprint and exit");
    app.add_flag("--print-readings", opt.print_readings,
                 "print every reading as a JSON line on stdout (commissioning)");
    app.add_flag("-v,--verbose", verbose, "debug logging");
    app.set_version_flag("--version", std::string("sealwatchd ") + SEALWATCH_VERSION);
    CLI11_PARSE(app, argc, argv);
    if (verbose) log::set_level(log::Level::debug);

    if (init_key) {
        auto loaded = config::load(opt.config_path);
        if (!loaded) {
            for (const auto& p : loaded.error()) std::cerr << p << '\n';
            return 2;
        }
        auto key = chain::load_or_create_gateway_key(loaded->gateway.data_dir);
        if (!key) {
            std::cerr << "sealwatchd --init-key: " << key.error().message << '\n';
            return 1;
        }
        std::cout << (key->created ? "created " : "exists ") << key->key_path << "\npublic key "
                  << key->pub_path << "\nfingerprint " << chain::fingerprint(key->key.public_key())
                  << '\n';
        return 0;
    }

    if (check) {
        auto loaded = config::load(opt.config_path);
        if (!loaded) {
            for (const auto& p : loaded.error()) std::cerr << p << '\n';
            return 2;
        }
        std::cout << opt.config_path << ": ok\n";
        return 0;
    }

    std::atomic<daemon::Request> request{daemon::Request::none};
    std::atomic<bool> done{false};
    std::thread signals([&] {
        while (!done) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (sig == SIGHUP) {
                request = daemon::Request::reload;
            } else {
                request = daemon::Request::stop;
                return;
            }
        }
    });
    int rc = daemon::run(opt, request);
    done = true;
    if (signals.joinable()) {
        // daemon::run may return without a signal (a startup error): wake the signal thread.
        // SIGTERM is blocked in every thread, so it ends that thread's sigwait, not the process.
        // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
        pthread_kill(signals.native_handle(), SIGTERM);
        signals.join();
    }
    return rc;
}
