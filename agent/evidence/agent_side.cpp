#include "evidence/agent_side.hpp"

#include "chain/chain.hpp"
#include "common/log.hpp"
#include "evidence/test_alarm.hpp"
#include "wire/chain_head.hpp"
#include "wire/topics.hpp"

namespace sealwatch::evidence {

Result<void> AgentSide::start(const config::Config& cfg) {
    auto lock = AgentLock::acquire(cfg.gateway.data_dir, 5000, true);
    if (!lock) return fail(lock.error().message + ": another agent uses this data_dir");
    lock_ = std::move(*lock);
    auto key = chain::load_or_create_gateway_key(cfg.gateway.data_dir);
    if (!key) {
        log::error("gateway key: ", key.error().message,
                   "; chain heads are not published until it is fixed");
        return {};
    }
    log::info("gateway key ", key->created ? "created" : "loaded", ": ", key->key_path,
              ", fingerprint ", chain::fingerprint(key->key.public_key()));
    key_ = std::move(key->key);
    return {};
}

wire::ChainHead sign_chain_head(const chain::SigningKey& key, const std::string& gateway, int64_t n,
                                const chain::Digest& head, WallMs now) {
    wire::ChainHead h;
    h.gateway = gateway;
    h.n = n;
    h.head = head;
    h.ts = format_rfc3339(now);
    h.fingerprint = chain::fingerprint(key.public_key());
    h.public_key = key.public_key();
    if (auto sig = key.sign(chain::head_statement(gateway, n, head, h.ts))) h.sig = *sig;
    return h;
}

bool AgentSide::record_test_alarms_now(WallMs now, store::Store& store, const config::Config& cfg) {
    auto outcomes = record_test_alarms(store, cfg, now);
    if (!outcomes) {
        log::error("test-alarm: ", outcomes.error().message, " (retried next second)");
        return false;
    }
    bool stored = false;
    for (const auto& o : *outcomes) {
        if (o.recorded) {
            log::info("test-alarm (request ", o.request_id, "): recorded");
        } else {
            log::warning("test-alarm (request ", o.request_id, "): ", o.message);
        }
        stored = stored || o.recorded;
    }
    return stored;
}

bool AgentSide::turn(WallMs now, store::Store& store, detect::Detector& detector,
                     const config::Config& cfg, bool connected, const Publish& publish) {
    bool stored = false;
    auto pending = store.pending_state_commands();
    if (pending && !pending->empty()) {
        auto applied = apply_state_commands(store, detector, cfg, now);
        if (!applied) {
            log::error("set-state: ", applied.error().message, " (retried next second)");
        } else {
            for (const auto& a : *applied) {
                if (a.ok) {
                    log::info("set-state (command ", a.command_id, "): ", a.message);
                } else {
                    log::warning("set-state (command ", a.command_id, ") refused: ", a.message);
                }
                stored = stored || !a.events.empty();
            }
        }
    }
    stored = record_test_alarms_now(now, store, cfg) || stored;
    // The head goes out on every (re)connection and then once a minute when it has moved. Only
    // a head on stable storage: one that a power cut could take back would be given to another
    // history after the restart (store.hpp, durable_chain_length).
    const int64_t n = store.durable_chain_length();
    if (key_ && connected &&
        (!was_connected_ || (n != published_n_ && now - published_at_ >= kChainPublishEveryMs))) {
        auto topics =
            wire::Topics::for_gateway(cfg.uplink.topic_prefix, cfg.gateway.site, cfg.gateway.id);
        publish(topics.chain, wire::chain_head_payload(sign_chain_head(
                                  *key_, cfg.gateway.id, n, store.durable_chain_head(), now)));
        published_n_ = n;
        published_at_ = now;
    }
    was_connected_ = connected;
    return stored;
}

}  // namespace sealwatch::evidence
