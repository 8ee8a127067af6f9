#include "daemon/commands.hpp"

#include <algorithm>

#include "command/verbs.hpp"
#include "common/log.hpp"
#include "evidence/legal_state.hpp"

namespace sealwatch::daemon {

namespace {

constexpr WallMs kPurgeEveryMs = WallMs{3600} * 1000;

}  // namespace

void CommandInbox::push(std::string topic, std::string payload) {
    std::lock_guard lock(mutex_);
    if (items_.size() >= kCapacity) {
        ++dropped_;
        return;
    }
    items_.push_back({std::move(topic), std::move(payload)});
}

std::vector<CommandInbox::Item> CommandInbox::take(size_t max) {
    std::lock_guard lock(mutex_);
    std::vector<Item> out;
    while (!items_.empty() && out.size() < max) {
        out.push_back(std::move(items_.front()));
        items_.pop_front();
    }
    return out;
}

int64_t CommandInbox::take_dropped() {
    return dropped_.exchange(0);
}

bool StoreNonces::seen(std::string_view nonce) {
    auto r = store_.command_nonce_seen(nonce);
    // A store that cannot answer must not let a replay through: count it as seen.
    return !r || *r;
}

bool StoreNonces::remember(std::string_view nonce, WallMs keep_until) {
    return store_.remember_command_nonce(nonce, keep_until).has_value();
}

CommandDesk::CommandDesk(const config::Config& cfg, MonoNs started)
    : tally_(cfg.gateway.id), started_(started) {
    set_config(cfg);
}

void CommandDesk::set_config(const config::Config& cfg) {
    gateway_ = cfg.gateway.id;
    prefix_ = cfg.uplink.topic_prefix;
    topics_ = wire::Topics::for_gateway(cfg.uplink.topic_prefix, cfg.gateway.site, cfg.gateway.id);
    keys_ = command::trusted_keys(cfg);
}

CommandDesk::Outcome CommandDesk::turn(CommandInbox& inbox, const Agent& agent,
                                       std::vector<Event>& events) {
    Outcome out;
    if (auto dropped = inbox.take_dropped(); dropped > 0) {
        command::Verdict none;
        for (int64_t i = 0; i < dropped; ++i)
            refuse(command::Refusal::busy, "", none, agent, events);
    }
    for (auto& e : tally_.due(agent.now)) events.push_back(std::move(e));
    if (auto done = export_.take_done())
        events.push_back(
            command::accepted_event(gateway_, done->body, done->key, done->result, agent.now));
    if (agent.now - last_purge_ >= kPurgeEveryMs || agent.now < last_purge_) {
        last_purge_ = agent.now;
        (void)agent.store.forget_command_nonces(agent.now);
    }

    if (agent.mono - window_start_ >= 1'000'000'000) {
        window_start_ = agent.mono;
        in_window_ = 0;
    }
    const int room = std::min(kMaxPerTurn, kMaxPerSecond - in_window_);
    if (room <= 0) return out;
    auto items = inbox.take(static_cast<size_t>(room));
    in_window_ += static_cast<int>(items.size());

    StoreNonces nonces(agent.store);
    command::Context context{gateway_, keys_, agent.now, agent.clock_synced};
    for (const auto& item : items) {
        auto name = wire::parse_topic(prefix_, item.topic);
        // P/cmd/+ also matches P/cmd/reply, our own replies coming back: not commands.
        if (!name || name->kind != wire::TopicKind::cmd) continue;
        const std::string& topic_verb = name->arg;
        auto verdict = command::verify(topic_verb, item.payload, context, nonces);
        if (!verdict.accepted()) {
            refuse(*verdict.refusal, topic_verb, verdict, agent, events);
            continue;
        }
        std::string failure;
        bool deferred = false;
        auto result = carry_out(verdict, agent, out, failure, deferred);
        if (deferred) continue;  // the export answers and is recorded when it is done
        log::info("command ", topic_verb, " from ", verdict.key, " (", verdict.body.nonce,
                  "): ", failure.empty() ? "done" : failure);
        events.push_back(
            command::accepted_event(gateway_, verdict.body, verdict.key, result, agent.now));
        wire::CommandReply r;
        r.nonce = verdict.body.nonce;
        r.verb = topic_verb;
        r.ok = failure.empty();
        r.reason = failure;
        r.ts = agent.now;
        r.result = std::move(result);
        reply(r, agent);
    }
    return out;
}

void CommandDesk::refuse(command::Refusal why, const std::string& topic_verb,
                         const command::Verdict& verdict, const Agent& agent,
                         std::vector<Event>& events) {
    if (auto e = tally_.refused(why, topic_verb, verdict, agent.now)) {
        log::warning("command refused: ", command::reason(why), " (", e->details["count"].dump(),
                     ")");
        events.push_back(std::move(*e));
    }
    if (why == command::Refusal::busy) return;  // nothing was read: nobody to answer
    wire::CommandReply r;
    r.nonce = verdict.nonce;
    r.verb = topic_verb;
    r.ok = false;
    r.reason = command::reason(why);
    r.ts = agent.now;
    if (!verdict.detail.empty()) r.result["detail"] = verdict.detail;
    reply(r, agent);
}

nlohmann::json CommandDesk::carry_out(const command::Verdict& verdict, const Agent& agent,
                                      Outcome& out, std::string& failure, bool& deferred) {
    nlohmann::json result = nlohmann::json::object();
    const auto& args = verdict.body.args;
    switch (*command::parse_verb(verdict.body.verb)) {
        case command::Verb::ping: {
            result["version"] = SEALWATCH_VERSION;
            result["uptime_s"] = (agent.mono - started_) / 1'000'000'000;
            if (auto b = agent.store.backlog()) result["next_seq"] = b->next_seq;
            break;
        }
        case command::Verb::set_state: {
            // The CLI's path (sealwatch asset set-state): queue the change, apply the queue.
            store::StateCommand c;
            c.created_ms = agent.now;
            c.asset = args.at("asset").get<std::string>();
            c.state = args.at("state").get<std::string>();
            c.by = args.at("by").get<std::string>();
            c.note = args.value("note", std::string());
            auto id = agent.store.queue_state_command(c);
            if (!id) {
                failure = "store: " + id.error().message;
                break;
            }
            auto applied =
                evidence::apply_state_commands(agent.store, agent.detector, agent.cfg, agent.now);
            if (!applied) {
                failure = "store: " + applied.error().message;
                break;
            }
            out.stored_events = true;
            auto done = agent.store.state_command(*id);
            if (!done || !*done || (*done)->status != "applied") {
                failure = "rejected";
                result["message"] = done && *done ? (*done)->message : "not applied";
                break;
            }
            result["chain_n"] = (*done)->chain_n;
            if (!(*done)->message.empty()) result["message"] = (*done)->message;
            break;
        }
        case command::Verb::reload:
            out.reload = true;
            break;
        case command::Verb::inspect:  // verify() takes it only from a USB stick
            failure = "not over MQTT";
            break;
        case command::Verb::export_bundle:
            deferred = export_.start(agent.cfg, verdict.body, verdict.key, topics_, agent.publish);
            if (!deferred) {
                failure = "busy";
                result["message"] = "an export is running; send again once it has answered";
            }
            break;
    }
    return result;
}

void CommandDesk::reply(const wire::CommandReply& reply, const Agent& agent) {
    if (!agent.publish(topics_.cmd_reply, wire::encode_reply(reply)))
        log::warning("command: the reply to ", reply.verb, " could not be handed to the link");
}

}  // namespace sealwatch::daemon
