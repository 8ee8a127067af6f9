#pragma once
// County commands in the running agent (docs/protocol.md, "Commands"). The MQTT thread drops
// each message from P/cmd/+ into a small inbox and returns at once; the main loop takes a few per
// turn, has command::verify judge them, carries out the accepted ones, answers on P/cmd/reply,
// and records `command` / `command_refused` events. A flood costs bounded memory (the inbox),
// bounded CPU (a few payloads a turn, kMaxPerSecond a second) and bounded disk (one refusal
// event a minute per reason): polling runs on its own threads and the uplink pump is not held
// up for more than a few verifications.
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "command/events.hpp"
#include "command/verify.hpp"
#include "config/config.hpp"
#include "daemon/export_job.hpp"
#include "detect/detector.hpp"
#include "store/store.hpp"
#include "wire/topics.hpp"

namespace sealwatch::daemon {

// Filled on the MQTT thread, emptied on the main loop. Beyond its capacity a message is dropped
// and counted (refused as `busy` in the next refusal event).
class CommandInbox {
  public:
    static constexpr size_t kCapacity = 32;
    struct Item {
        std::string topic, payload;
    };
    void push(std::string topic, std::string payload);  // any thread
    std::vector<Item> take(size_t max);
    int64_t take_dropped();

  private:
    std::mutex mutex_;
    std::deque<Item> items_;
    std::atomic<int64_t> dropped_{0};
};

// The agent's nonce memory: the store's table (remembered across restarts).
class StoreNonces final : public command::NonceMemory {
  public:
    explicit StoreNonces(store::Store& store) : store_(store) {}
    bool seen(std::string_view nonce) override;
    bool remember(std::string_view nonce, WallMs keep_until) override;

  private:
    store::Store& store_;
};

class CommandDesk {
  public:
    static constexpr int kMaxPerTurn = 4;
    static constexpr int kMaxPerSecond = 20;

    CommandDesk(const config::Config& cfg, MonoNs started);

    // What a turn needs from the agent.
    struct Agent {
        store::Store& store;
        detect::Detector& detector;
        const config::Config& cfg;
        WallMs now = 0;
        MonoNs mono = 0;
        bool clock_synced = false;
        // QoS 1, not retained; false when it could not be handed to the link.
        std::function<bool(const std::string& topic, const std::string& payload)> publish;
    };
    struct Outcome {
        bool stored_events = false;  // set-state wrote to the store: save the snapshot, pump
        bool reload = false;         // a `reload` was accepted and answered
    };
    // Handles up to kMaxPerTurn commands from the inbox; events to record go to `events`.
    Outcome turn(CommandInbox& inbox, const Agent& agent, std::vector<Event>& events);

    void set_config(const config::Config& cfg);  // after a reload: new keys, ids, topics
    // Waits for a running export: before the link it publishes through goes away.
    void wait_for_export() { export_.wait(); }

  private:
    void refuse(command::Refusal why, const std::string& topic_verb,
                const command::Verdict& verdict, const Agent& agent, std::vector<Event>& events);
    // The result; `failure` set when it failed, `deferred` when the answer comes later (export).
    nlohmann::json carry_out(const command::Verdict& verdict, const Agent& agent, Outcome& out,
                             std::string& failure, bool& deferred);
    void reply(const wire::CommandReply& reply, const Agent& agent);

    std::string gateway_;
    std::string prefix_;
    wire::Topics topics_;
    std::vector<command::TrustedKey> keys_;
    command::RefusalTally tally_;
    MonoNs started_ = 0;
    MonoNs window_start_ = 0;
    int in_window_ = 0;
    WallMs last_purge_ = 0;
    ExportJob export_;
};

}  // namespace sealwatch::daemon
