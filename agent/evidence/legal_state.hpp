#pragma once
// Legal state changes (`sealwatch asset set-state`). The CLI never writes the chain behind the
// agent's back: it queues a command row in the database, and whoever owns the detector applies
// the queue in order — the running agent within about a second, or, when no agent runs, the CLI
// itself with the very same code while holding the agent's lock. Applying a command writes the
// asset_state_changed event (and any alarm it closes) into the chain, records the new state
// (which then overrides the config's `state`, also across restarts and reloads), and marks the
// command done, in one transaction.
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/config.hpp"
#include "detect/detector.hpp"
#include "store/store.hpp"

namespace sealwatch::evidence {

// Gives a new detector the states recorded by set-state (no events; call before restore()).
void restore_asset_states(store::Store& store, detect::Detector& detector,
                          const config::Config& cfg);

struct Applied {
    int64_t command_id = 0;
    bool ok = false;
    std::string message;
    std::vector<Event> events;  // already in the store (and the chain)
};
// Applies every pending command, oldest first. A command naming an asset the config does not
// have, or a state that does not exist, is rejected with a message (kept in the table).
Result<std::vector<Applied>> apply_state_commands(store::Store& store, detect::Detector& detector,
                                                  const config::Config& cfg, WallMs now);

// The agent's lock: data_dir/sealwatchd.lock, held (flock) for as long as an agent runs on that
// data_dir; the file holds its pid. The CLI takes it when no agent runs to apply commands itself.
class AgentLock {
  public:
    AgentLock() = default;
    ~AgentLock();
    AgentLock(AgentLock&& other) noexcept;
    AgentLock& operator=(AgentLock&& other) noexcept;
    // Waits up to wait_ms for the lock. Fails naming the holder's pid when it is taken.
    static Result<AgentLock> acquire(const std::string& data_dir, int wait_ms, bool write_pid);
    bool held() const { return fd_ >= 0; }

  private:
    int fd_ = -1;
};
// The pid written by the agent that holds the lock, if one holds it now.
std::optional<long> agent_pid(const std::string& data_dir);

// The agent's database (data_dir/sealwatch.db) opened by the CLI to queue a request for it
// (set-state, test-alarm): writes wait up to 10 s for the agent's own transactions.
Result<store::Store> open_to_queue(const config::Config& cfg);

// The CLI's path when no agent runs: the detector as the agent would have it (config, recorded
// states, saved snapshot), the queue applied, the snapshot saved back.
Result<std::vector<Applied>> apply_without_agent(store::Store& store, const config::Config& cfg);

inline constexpr const char* kDetectorSnapshotKey = "detector.snapshot";  // as the agent saves it

}  // namespace sealwatch::evidence
