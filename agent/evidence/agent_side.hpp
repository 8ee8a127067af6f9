#pragma once
// The evidence trail's part of the running agent, kept out of the main loop's file: the agent's
// lock on its data_dir, the gateway key, set-state commands applied live, test-alarm requests
// recorded (evidence/test_alarm.hpp), and the signed chain
// head published to the county office (retained on P/chain, docs/protocol.md).
#include <functional>
#include <string>

#include "chain/crypto.hpp"
#include "config/config.hpp"
#include "detect/detector.hpp"
#include "evidence/legal_state.hpp"
#include "store/store.hpp"
#include "wire/chain_head.hpp"

namespace sealwatch::evidence {

inline constexpr int64_t kChainPublishEveryMs = 60000;

class AgentSide {
  public:
    // Takes the lock (waiting a few seconds for a CLI that applies a command) and loads or
    // creates the key. A failure to take the lock is fatal (another agent owns data_dir); a key
    // problem is logged and the agent runs on without publishing heads.
    Result<void> start(const config::Config& cfg);

    // Once a second from the main loop, after its own events are stored. Applies queued
    // set-state commands and records test-alarm requests; returns true when it stored events (the
    // caller saves the detector's snapshot and pumps the uplink). `publish` sends a retained QoS 1
    // message.
    using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
    bool turn(WallMs now, store::Store& store, detect::Detector& detector,
              const config::Config& cfg, bool connected, const Publish& publish);

  private:
    bool record_test_alarms_now(WallMs now, store::Store& store, const config::Config& cfg);

    AgentLock lock_;
    std::optional<chain::SigningKey> key_;
    int64_t published_n_ = -1;
    WallMs published_at_ = 0;
    bool was_connected_ = false;
};

// The head of the chain at `now`, signed with the gateway key over chain::head_statement (sent on
// P/chain as wire::chain_head_payload).
wire::ChainHead sign_chain_head(const chain::SigningKey& key, const std::string& gateway, int64_t n,
                                const chain::Digest& head, WallMs now);

}  // namespace sealwatch::evidence
