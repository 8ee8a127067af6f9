#include "evidence/legal_state.hpp"

#include <sys/file.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace sealwatch::evidence {

void restore_asset_states(store::Store& store, detect::Detector& detector,
                          const config::Config& cfg) {
    auto rows = store.asset_states();
    if (!rows) return;
    for (const auto& r : *rows) {
        auto state = config::parse_asset_state(r.state);
        if (!state) continue;
        bool known = false;
        for (const auto& a : cfg.assets) known = known || a.id == r.asset;
        if (!known) continue;
        // The lowest time leaves the detector's clocks untouched; the event it makes is the one
        // already in the chain, so it is dropped here.
        std::vector<Event> ignored;
        detector.set_asset_state(r.asset, *state, std::numeric_limits<WallMs>::min(), r.by, r.note,
                                 ignored);
    }
}

Result<std::vector<Applied>> apply_state_commands(store::Store& store, detect::Detector& detector,
                                                  const config::Config& cfg, WallMs now) {
    auto pending = store.pending_state_commands();
    if (!pending) return tl::unexpected(pending.error());
    std::vector<Applied> out;
    for (const auto& c : *pending) {
        Applied a;
        a.command_id = c.id;
        auto state = config::parse_asset_state(c.state);
        bool known = false;
        for (const auto& asset : cfg.assets) known = known || asset.id == c.asset;
        if (!known || !state) {
            a.message = !known ? "asset '" + c.asset + "' is not in the running config"
                               : "'" + c.state + "' is not a legal state";
            if (auto r = store.reject_state_command(c.id, a.message); !r)
                return tl::unexpected(r.error());
            out.push_back(std::move(a));
            continue;
        }
        // set_asset_state works on a copy of nothing: if the store refuses the transaction the
        // detector has moved on alone, so a refusal stops the queue here and the agent retries
        // (the detector state is then re-applied from the store on the next restart).
        detector.set_asset_state(c.asset, *state, now, c.by, c.note, a.events);
        store::AssetStateRow row{c.asset, c.state, c.by, c.note, now};
        if (auto r = store.apply_state_command(c.id, row, a.events); !r)
            return tl::unexpected(r.error());
        a.ok = true;
        bool changed = false;
        for (const auto& e : a.events) changed = changed || e.type == "asset_state_changed";
        a.message = changed ? c.asset + " is now " + c.state
                            : c.asset + " was already " + c.state + " (no event)";
        out.push_back(std::move(a));
    }
    return out;
}

// ---- the agent's lock ----

AgentLock::~AgentLock() {
    if (fd_ >= 0) ::close(fd_);
}
AgentLock::AgentLock(AgentLock&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}
AgentLock& AgentLock::operator=(AgentLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

namespace {
std::string lock_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "sealwatchd.lock").string();
}
}  // namespace

Result<AgentLock> AgentLock::acquire(const std::string& data_dir, int wait_ms, bool write_pid) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    auto path = lock_path(data_dir);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(path + ": " + std::strerror(errno));
    AgentLock lock;
    lock.fd_ = fd;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) return fail(path + ": " + std::strerror(errno));
        if (std::chrono::steady_clock::now() >= deadline) {
            auto pid = agent_pid(data_dir);
            return fail("sealwatchd" +
                        (pid ? " (pid " + std::to_string(*pid) + ")" : std::string()) + " holds " +
                        path);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (write_pid) {
        std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0)
            return fail(path + ": " + std::strerror(errno));
    }
    return lock;
}

std::optional<long> agent_pid(const std::string& data_dir) {
    auto path = lock_path(data_dir);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    // Held by someone? A shared lock attempt fails while the agent holds its exclusive one.
    bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (!held) ::flock(fd, LOCK_UN);
    char buf[32] = {};
    auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (!held) return std::nullopt;
    if (n <= 0) return 0L;
    return std::strtol(buf, nullptr, 10);
}

Result<store::Store> open_to_queue(const config::Config& cfg) {
    store::Options wait_for_the_agent;
    wait_for_the_agent.busy_wait_ms = 10000;
    return store::Store::open(store::database_path(cfg.gateway.data_dir), wait_for_the_agent);
}

Result<std::vector<Applied>> apply_without_agent(store::Store& store, const config::Config& cfg) {
    auto tz = detect::TimeZone::load(cfg.gateway.timezone);
    detect::Detector detector(cfg, std::move(tz));
    restore_asset_states(store, detector, cfg);
    if (auto snap = store.meta(kDetectorSnapshotKey); snap && *snap) {
        auto j = nlohmann::json::parse(**snap, nullptr, false);
        if (!j.is_discarded()) (void)detector.restore(j);
    }
    auto applied = apply_state_commands(store, detector, cfg, wall_now_ms());
    if (!applied) return applied;
    if (auto r = store.set_meta(kDetectorSnapshotKey, detector.snapshot().dump()); !r)
        return tl::unexpected(r.error());
    return applied;
}

}  // namespace sealwatch::evidence
