// sealwatchd: the agent. Only wiring here: load the config, start one poller per bus, and hand
// what they read to the consumer. Signals: SIGTERM/SIGINT stop cleanly, SIGHUP re-reads the
// config (a bad new config is reported and the running one kept).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <pthread.h>

#include <CLI/CLI.hpp>

#include "common/log.hpp"
#include "config/config.hpp"
#include "poll/bus_poller.hpp"

using namespace sealwatch;

namespace {

struct Options {
    std::string config_path = "/etc/sealwatch/sealwatch.toml";
    bool check = false;
    bool print_readings = false;
    bool verbose = false;
};

// Signals are taken by one thread with sigwait, so no handler runs inside a bus thread.
struct Signals {
    sigset_t set{};
    Signals() {
        sigemptyset(&set);
        for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread started later
    }
};

void report(const config::Problems& problems) {
    for (const auto& p : problems) std::cerr << p << '\n';
}

class Pollers {
  public:
    Pollers(const config::Config& cfg, poll::Queue<poll::PollOutput>& out) {
        for (const auto& bus : cfg.buses) {
            auto plans = poll::plan_bus(cfg, bus);
            log::info("bus ", bus.id, ": ", plans.size(), " meter(s), ",
                      bus.kind == config::BusKind::tcp
                          ? "tcp " + bus.host + ":" + std::to_string(bus.port)
                          : "rtu " + bus.device,
                      ", timeout ", bus.timeout_ms, " ms");
            pollers_.push_back(std::make_unique<poll::BusPoller>(bus, std::move(plans), out));
        }
        for (auto& p : pollers_) p->start();
    }

  private:
    std::vector<std::unique_ptr<poll::BusPoller>> pollers_;
};

enum class Stop { none, terminate, reload };

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    CLI::App app{"sealwatchd - watches the energy meters of shut and sealed equipment"};
    app.add_option("-c,--config", opt.config_path, "configuration file (TOML)");
    app.add_flag("--check", opt.check, "validate the configuration and exit (0 valid, 2 not)");
    app.add_flag("--print-readings", opt.print_readings,
                 "print every reading as a JSON line on stdout (commissioning)");
    app.add_flag("-v,--verbose", opt.verbose, "debug logging");
    app.set_version_flag("--version", std::string("sealwatchd ") + SEALWATCH_VERSION);
    CLI11_PARSE(app, argc, argv);
    if (opt.verbose) log::set_level(log::Level::debug);

    auto loaded = config::load(opt.config_path);
    if (!loaded) {
        report(loaded.error());
        return 2;
    }
    if (opt.check) {
        std::cout << opt.config_path << ": ok\n";
        return 0;
    }

    Signals signals;
    std::atomic<Stop> stop{Stop::none};
    poll::Queue<poll::PollOutput> queue;
    // The signal thread only records what was asked; the main loop acts on it.
    std::thread signal_thread([&] {
        while (true) {
            int sig = 0;
            if (sigwait(&signals.set, &sig) != 0) continue;
            if (sig == SIGHUP) {
                stop = Stop::reload;
            } else {
                stop = Stop::terminate;
                return;
            }
        }
    });

    config::Config cfg = std::move(*loaded);
    log::info("sealwatchd ", SEALWATCH_VERSION, " starting: gateway ", cfg.gateway.id, " site ",
              cfg.gateway.site, ", ", cfg.meters.size(), " meter(s) on ", cfg.buses.size(),
              " bus(es)");
    auto pollers = std::make_unique<Pollers>(cfg, queue);

    while (true) {
        if (auto item = queue.pop(std::chrono::milliseconds(200))) {
            if (auto* r = std::get_if<poll::Reading>(&*item)) {
                if (opt.print_readings) {
                    std::string line = poll::reading_json(*r) + "\n";
                    std::fwrite(line.data(), 1, line.size(), stdout);
                    std::fflush(stdout);
                }
            } else if (auto* h = std::get_if<poll::HealthChange>(&*item)) {
                if (opt.print_readings) {
                    std::string line = "{\"meter\":\"" + h->meter + "\",\"health\":\"" +
                                       std::string(poll::to_string(h->health)) + "\",\"ts\":\"" +
                                       format_rfc3339(h->wall_ms) + "\"}\n";
                    std::fwrite(line.data(), 1, line.size(), stdout);
                    std::fflush(stdout);
                }
            }
        }
        Stop s = stop.exchange(Stop::none);
        if (s == Stop::terminate) break;
        if (s == Stop::reload) {
            auto fresh = config::load(opt.config_path);
            if (!fresh) {
                log::error("reload: ", opt.config_path,
                           " has problems; keeping the running config");
                report(fresh.error());
                continue;
            }
            log::info("reload: applying ", opt.config_path);
            pollers.reset();
            cfg = std::move(*fresh);
            pollers = std::make_unique<Pollers>(cfg, queue);
        }
    }
    log::info("stopping");
    pollers.reset();
    signal_thread.join();
    return 0;
}
