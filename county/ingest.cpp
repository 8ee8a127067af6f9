#include "county/ingest.hpp"

#include "chain/crypto.hpp"
#include "common/log.hpp"
#include "county/chain_verdict.hpp"
#include "county/power_minutes.hpp"
#include "wire/chain_head.hpp"
#include "wire/command.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"
#include "wire/topics.hpp"

namespace sealwatch::county {

namespace {

// The county's alarm for a broken chain: one per break, so its id carries the time.
AlarmRecord chain_broken_alarm(const GatewayRef& gw, const ChainRecord& next,
                               const wire::ChainHead& head, WallMs received) {
    AlarmRecord a;
    a.gw = gw;
    a.id = "county:" + gw.gateway + ":" + kChainBrokenType + ":" + std::to_string(received);
    a.type = kChainBrokenType;
    a.severity = "critical";
    a.started = received;
    a.raised = received;
    a.received = received;
    nlohmann::ordered_json d;
    d["reason"] = next.reason;
    d["n"] = head.n;
    d["head"] = chain::hex(head.head);
    d["fingerprint"] = chain::fingerprint(head.public_key);
    d["pinned"] = next.fingerprint;
    a.details = d.dump();
    return a;
}

}  // namespace

Ingest::Ingest(Store& store, std::string topic_prefix, int64_t power_retention_ms)
    : store_(store), prefix_(std::move(topic_prefix)), power_retention_ms_(power_retention_ms) {}

void Ingest::reject(const std::string& kind, std::string_view topic, const std::string& why) {
    if (garbage_[kind]++ == 0)
        log::warning("county: unreadable ", kind, " message on ", topic, ": ", why,
                     " (skipped; further ones of this kind are counted, not logged)");
}

Result<void> Ingest::message(std::string_view topic, std::string_view payload, WallMs received) {
    auto name = wire::parse_topic(prefix_, topic);
    if (!name) {
        reject("topic", topic, "not a gateway topic of docs/protocol.md");
        return {};
    }
    const GatewayRef gw{name->site, name->gateway};
    Result<void> done;
    switch (name->kind) {
        case wire::TopicKind::status:
            done = status(gw, payload, received);
            break;
        case wire::TopicKind::telemetry:
            done = telemetry(gw, payload, received);
            break;
        case wire::TopicKind::event:
            done = event(gw, payload, received);
            break;
        case wire::TopicKind::chain:
            done = chain_head(gw, payload, received);
            break;
        case wire::TopicKind::cmd_reply:
            done = reply(gw, payload, received);
            break;
        case wire::TopicKind::bridge:
            done = store_.know(gw, received);
            break;
        case wire::TopicKind::cmd:
        case wire::TopicKind::export_chunks:
            break;
    }
    if (!done) return fail("county database: " + done.error().message);
    return {};
}

Result<void> Ingest::status(const GatewayRef& gw, std::string_view payload, WallMs received) {
    auto s = wire::parse_status(payload);
    if (!s) {
        reject("status", gw.site + "/" + gw.gateway + "/status", s.error().message);
        return {};
    }
    auto held = store_.status(gw);
    if (!held) return tl::unexpected(held.error());
    // A retained status comes again on every (re)subscription: it is not news from the gateway
    // and must not keep a silent gateway looking alive.
    if (*held && (*held)->online == s->online && (*held)->ts == s->ts)
        return store_.know(gw, received);
    if (auto r = store_.touch(gw, received); !r) return r;
    return store_.record_status(gw, {s->online, s->ts, s->version, s->boot, received});
}

Result<void> Ingest::telemetry(const GatewayRef& gw, std::string_view payload, WallMs received) {
    auto t = wire::parse_telemetry(payload);
    if (!t) {
        reject("telemetry", gw.site + "/" + gw.gateway + "/telemetry", t.error().message);
        return {};
    }
    if (auto r = store_.touch(gw, received); !r) return r;
    auto added = store_.record_seq(gw, t->seq, received);
    if (!added) return tl::unexpected(added.error());
    // A seq seen before carries the same readings (contract): folding them again would count
    // them twice. A kill between the two commits loses this message's minutes, never more.
    if (*added != SeqLedger::Added::fresh) return {};
    auto minutes = power_minutes(*t);
    if (minutes.empty()) return {};
    return store_.record_power(gw, minutes, received - power_retention_ms_);
}

Result<void> Ingest::event(const GatewayRef& gw, std::string_view payload, WallMs received) {
    auto m = wire::parse_event_message(payload);
    if (!m) {
        reject("event", gw.site + "/" + gw.gateway + "/event", m.error().message);
        return {};
    }
    if (auto r = store_.touch(gw, received); !r) return r;
    auto added = store_.record_seq(gw, m->seq, received);
    if (!added) return tl::unexpected(added.error());
    const Event& e = m->event;
    if (e.type == kTestAlarmType) return test_alarm(gw, *m, received);
    if (e.state == EventState::info) return {};
    AlarmRecord a;
    a.gw = gw;
    a.id = e.id;
    a.type = e.type;
    a.severity = std::string(to_string(e.severity));
    a.asset = e.asset;
    a.meter = e.meter;
    a.received = received;
    if (e.state == EventState::raised) {
        a.started = e.started;
        a.raised = e.ts;
        a.details = e.details.dump();
    } else {
        a.cleared = e.ts;
        a.details = "{}";
    }
    return store_.record_alarm(a);
}

Result<void> Ingest::test_alarm(const GatewayRef& gw, const wire::EventMessage& m,
                                WallMs received) {
    const Event& e = m.event;
    TestAlarmRecord t;
    t.id = e.id;
    t.asset = e.asset;
    // The details are the gateway's to fill; a field of another kind is left empty, not fatal.
    auto text = [&](const char* key) {
        auto it = e.details.find(key);
        return it != e.details.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    t.by = text("by");
    t.note = text("note");
    t.ts = e.ts;
    t.received = received;
    t.seq = m.seq;
    log::info("county: ", gw.site, "/", gw.gateway, ": test alarm for ", t.asset, " (by ", t.by,
              ", seq ", t.seq, ")");
    return store_.record_test_alarm(gw, t);
}

Result<void> Ingest::chain_head(const GatewayRef& gw, std::string_view payload, WallMs received) {
    const std::string topic = gw.site + "/" + gw.gateway + "/chain";
    auto head = wire::parse_chain_head(payload);
    if (!head) {
        reject("chain", topic, head.error().message);
        return {};
    }
    if (auto r = store_.touch(gw, received); !r) return r;
    auto prior = store_.chain(gw);
    if (!prior) return tl::unexpected(prior.error());
    auto held = store_.head_at(gw, head->n);
    if (!held) return tl::unexpected(held.error());
    const auto v = judge_head(*prior, gw.gateway, *head, *held);
    switch (v.kind) {
        case HeadVerdict::Kind::ignored:
            reject("chain", topic, v.why);
            return {};
        case HeadVerdict::Kind::duplicate:
            break;
        case HeadVerdict::Kind::pinned:
            log::info("county: ", gw.site, "/", gw.gateway, ": key pinned, fingerprint ",
                      v.next.fingerprint);
            break;
        case HeadVerdict::Kind::advanced:
            break;
        case HeadVerdict::Kind::broke:
            log::error("county: ", gw.site, "/", gw.gateway, ": chain broken: ", v.next.reason);
            if (auto r = store_.record_alarm(chain_broken_alarm(gw, v.next, *head, received)); !r)
                return r;
            break;
    }
    if (v.keep) {
        HeadRecord h{head->n, head->head, head->ts, received};
        if (auto r = store_.record_head(gw, h); !r) return r;
    }
    if (v.kind == HeadVerdict::Kind::duplicate) return {};
    return store_.set_chain(gw, v.next);
}

Result<void> Ingest::reply(const GatewayRef& gw, std::string_view payload, WallMs received) {
    auto r = wire::parse_reply(payload);
    if (!r) {
        reject("cmd/reply", gw.site + "/" + gw.gateway + "/cmd/reply", "not a command reply");
        return {};
    }
    if (auto t = store_.touch(gw, received); !t) return t;
    return store_.record_reply(
        gw, {r->nonce, r->verb, r->ok, r->reason, r->ts, r->result.dump(), received});
}

}  // namespace sealwatch::county
