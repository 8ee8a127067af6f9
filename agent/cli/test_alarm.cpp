#include "cli/test_alarm.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <pwd.h>
#include <unistd.h>

#include "config/config.hpp"
#include "evidence/legal_state.hpp"
#include "store/store.hpp"

namespace sealwatch::cli {

namespace {

constexpr const char* kVerb = "sealwatch test-alarm: ";

std::string user_name() {
    if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) return sudo;
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
    return "uid " + std::to_string(::geteuid());
}

int report_done(const store::TestAlarmRequest& done, const std::string& gateway) {
    if (done.status == "recorded") {
        std::cout << "test alarm for " << done.asset << " (by " << done.by
                  << ") recorded as chain entry " << done.chain_n << ", event id " << done.event_id
                  << "\nthe agent publishes it on its event topic; at the county office it shows "
                     "in `sealwatch-county status` (TEST column) for gateway "
                  << gateway << ", never as an alarm\n";
        return 0;
    }
    std::cerr << kVerb << done.status << ": " << done.message << '\n';
    return 1;
}

}  // namespace

int run_test_alarm(const std::string& config_path, const std::string& asset, std::string by,
                   const std::string& note, int wait_s) {
    auto cfg = config::load(config_path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cerr << p << '\n';
        return 2;
    }
    const bool found = std::any_of(cfg->assets.begin(), cfg->assets.end(),
                                   [&](const auto& a) { return a.id == asset; });
    if (!found) {
        std::string known;
        for (const auto& a : cfg->assets) known += (known.empty() ? "" : ", ") + a.id;
        std::cerr << kVerb << "asset '" << asset << "' is not in " << config_path
                  << " (assets: " << (known.empty() ? "none" : known) << ")\n";
        return 2;
    }
    if (by.empty()) by = user_name();
    // The running agent records it; without one there is nothing to test, and a request left
    // queued would go out at some later start, long after anyone watches for it.
    const auto pid = evidence::agent_pid(cfg->gateway.data_dir);
    if (!pid) {
        std::cerr << kVerb << "sealwatchd is not running on " << cfg->gateway.data_dir
                  << ": the test alarm is sent by the running agent; start it (systemctl start "
                     "sealwatchd) and run this again. Nothing was queued.\n";
        return 1;
    }
    auto store = evidence::open_to_queue(*cfg);
    if (!store) {
        std::cerr << kVerb << store.error().message << '\n';
        return 1;
    }
    store::TestAlarmRequest request;
    request.created_ms = wall_now_ms();
    request.asset = asset;
    request.by = by;
    request.note = note;
    auto id = store->queue_test_alarm(request);
    if (!id) {
        std::cerr << kVerb << "cannot queue the request: " << id.error().message << '\n';
        return 1;
    }
    std::cout << "sealwatchd (pid " << *pid << ") is running: test alarm for " << asset
              << " handed over as request " << *id << '\n';
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = store->test_alarm(*id);
        if (r && *r && (*r)->status != "pending") return report_done(**r, cfg->gateway.id);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    const std::string why =
        "the agent did not take it within " + std::to_string(wait_s) + " s (withdrawn)";
    auto closed = store->close_test_alarm(*id, "withdrawn", why);
    if (closed && !*closed) {
        // The agent took it in the last moment.
        if (auto r = store->test_alarm(*id); r && *r) return report_done(**r, cfg->gateway.id);
    }
    std::cerr << kVerb << why
              << "; nothing was recorded. Is the agent stuck? Check `sealwatch status` and its "
                 "log (journalctl -u sealwatchd).\n";
    return 1;
}

}  // namespace sealwatch::cli
