// sealwatch-sim: serves simulated energy meters over Modbus TCP and RTU and DL/T 645 (serial or
// TCP), driven by a scenario
// file. Wiring only: the logic lives in sw_sim. Usage and file format: docs/simulator.md.
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "profiles/catalog.hpp"
#include "sim/clock.hpp"
#include "sim/dlt645_server.hpp"
#include "sim/listeners.hpp"
#include "sim/log.hpp"
#include "sim/rtu_server.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"
#include "sim/stop.hpp"
#include "sim/tcp_server.hpp"

#ifndef SEALWATCH_VERSION
#define SEALWATCH_VERSION "0.0.0"
#endif

namespace {

using namespace sealwatch;
using namespace sealwatch::sim;

constexpr int kExitBadInput = 2;
constexpr int kExitRuntime = 1;

struct Options {
    std::string scenario;
    std::vector<std::string> tcp;
    std::vector<std::string> rtu;
    int baud = 9600;
    std::string parity = "N";
    int data_bits = 8;
    int stop_bits = 1;
    std::vector<std::string> profile_dirs;
    std::optional<double> speed;
    bool print_port = false;
    bool verbose = false;
};

// The scenario with its final listeners, checked; or the problems, one per line.
tl::expected<Scenario, Problems> prepare(const Options& opt, const profiles::Catalog& catalog,
                                         const std::vector<ListenerSpec>* running) {
    auto scenario = load_scenario(opt.scenario);
    if (!scenario) return scenario;
    Problems problems;
    if (running) {
        scenario->listeners = *running;  // listeners are opened once, at start
    } else {
        SerialDefaults serial{opt.baud, opt.parity.empty() ? 'N' : opt.parity[0], opt.data_bits,
                              opt.stop_bits};
        scenario->listeners =
            merge_listeners(scenario->listeners, opt.tcp, opt.rtu, serial, problems);
    }
    Problems more = check_scenario(*scenario, catalog);
    problems.insert(problems.end(), more.begin(), more.end());
    if (!problems.empty()) return tl::unexpected(problems);
    return scenario;
}

void print_problems(const Problems& problems) {
    for (auto& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
}

std::string tcp_address(const std::string& host, uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

int main(int argc, char** argv) {
    // Signals are taken synchronously by the main thread (sigwait); every thread inherits the
    // mask. SIGPIPE: a client or a reader of stdout that goes away is not our death.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    Options opt;
    CLI::App app{"sealwatch-sim: simulated energy meters over Modbus TCP and RTU, and DL/T 645"};
    app.set_version_flag("--version", std::string("sealwatch-sim ") + SEALWATCH_VERSION);
    app.add_option("--scenario", opt.scenario, "scenario file (TOML)")->required();
    app.add_option("--tcp", opt.tcp, "serve Modbus TCP on [ID=]HOST:PORT (port 0: a free one)");
    app.add_option("--rtu", opt.rtu, "serve Modbus RTU on [ID=]DEVICE (a tty or a pty)");
    app.add_option("--baud", opt.baud, "RTU baud rate")->check(CLI::Range(300, 4000000));
    app.add_option("--parity", opt.parity, "RTU parity")->check(CLI::IsMember({"N", "E", "O"}));
    app.add_option("--data-bits", opt.data_bits, "RTU data bits")->check(CLI::Range(5, 8));
    app.add_option("--stop-bits", opt.stop_bits, "RTU stop bits")->check(CLI::Range(1, 2));
    app.add_option("--profile-dir", opt.profile_dirs, "folder of extra meter profiles (*.toml)");
    app.add_option("--speed", opt.speed, "simulated seconds per real second")
        ->check(CLI::PositiveNumber);
    app.add_flag("--print-port", opt.print_port,
                 "also print each TCP listener's port alone on a line, first");
    app.add_flag("-v,--verbose", opt.verbose, "log every request");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : kExitBadInput;
    }

    profiles::Catalog catalog = profiles::Catalog::builtin();
    Problems problems;
    for (auto& dir : opt.profile_dirs) catalog.add_folder(dir, problems);
    if (!problems.empty()) {
        print_problems(problems);
        return kExitBadInput;
    }
    auto scenario = prepare(opt, catalog, nullptr);
    if (!scenario) {
        print_problems(scenario.error());
        return kExitBadInput;
    }
    double speed = opt.speed.value_or(scenario->speed.value_or(1.0));

    SimClock clock(speed);
    Simulation sim(*scenario, catalog, clock.wall_origin());
    StopSignal stop;
    std::vector<std::unique_ptr<TcpServer>> tcp;
    std::vector<std::unique_ptr<RtuServer>> rtu;
    std::vector<std::unique_ptr<Dlt645Server>> dlt645;
    for (auto& l : scenario->listeners) {
        if (l.protocol == profiles::Protocol::dlt645) {
            auto server = std::make_unique<Dlt645Server>(l, sim, clock, stop, opt.verbose);
            if (auto rc = server->open(); !rc) {
                log_line(rc.error().message);
                return kExitRuntime;
            }
            dlt645.push_back(std::move(server));
        } else if (l.kind == ListenerSpec::Kind::tcp) {
            auto server = std::make_unique<TcpServer>(l, sim, clock, stop, opt.verbose);
            if (auto rc = server->open(); !rc) {
                log_line(rc.error().message);
                return kExitRuntime;
            }
            tcp.push_back(std::move(server));
        } else {
            auto server = std::make_unique<RtuServer>(l, sim, clock, stop, opt.verbose);
            if (auto rc = server->open(); !rc) {
                log_line(rc.error().message);
                return kExitRuntime;
            }
            rtu.push_back(std::move(server));
        }
    }

    log_line("scenario " + opt.scenario + ", speed x" + std::to_string(speed));
    for (auto& line : sim.describe()) log_line(line);
    if (opt.print_port) {
        for (auto& s : tcp) std::printf("%u\n", static_cast<unsigned>(s->port()));
        for (auto& s : dlt645)
            if (s->spec().kind == ListenerSpec::Kind::tcp)
                std::printf("%u\n", static_cast<unsigned>(s->port()));
    }
    for (auto& s : tcp)
        std::printf("listening %s %s\n", s->spec().rtu_over_tcp ? "rtu tcp" : "tcp",
                    tcp_address(s->spec().host, s->port()).c_str());
    for (auto& s : rtu) std::printf("listening rtu %s\n", s->spec().device.c_str());
    for (auto& s : dlt645) std::printf("listening %s\n", s->where().c_str());
    std::printf("ready\n");
    std::fflush(stdout);

    std::vector<std::thread> threads;
    threads.reserve(tcp.size() + rtu.size());
    for (auto& s : tcp) threads.emplace_back([&server = *s] { server.run(); });
    for (auto& s : rtu) threads.emplace_back([&server = *s] { server.run(); });
    for (auto& s : dlt645) threads.emplace_back([&server = *s] { server.run(); });

    const std::vector<ListenerSpec> running = scenario->listeners;
    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            auto next = prepare(opt, catalog, &running);
            if (!next) {
                log_line("reload failed, keeping the running scenario:");
                print_problems(next.error());
                continue;
            }
            if (next->speed && *next->speed != speed)
                log_line("reload: speed changes only at start; keeping x" + std::to_string(speed));
            sim.reload(*next, catalog, clock.now());
            log_line("reloaded " + opt.scenario + " at t=" + std::to_string(clock.now()) + "s");
            for (auto& line : sim.describe()) log_line(line);
            continue;
        }
        log_line(sig == SIGTERM ? "SIGTERM: stopping" : "SIGINT: stopping");
        break;
    }
    stop.trigger();
    for (auto& t : threads) t.join();
    return 0;
}
