#include "county/send.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>

#include "chain/crypto.hpp"
#include "command/verbs.hpp"
#include "common/clock.hpp"
#include "common/text.hpp"
#include "county/broker_link.hpp"
#include "county/export_assembly.hpp"
#include "county/signed_command.hpp"
#include "county/store/open_store.hpp"
#include "evidence/bundle.hpp"
#include "uplink/mqtt_link.hpp"
#include "wire/command.hpp"
#include "wire/topics.hpp"

namespace sealwatch::county {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Chunks carry 48 KiB of raw bytes as base64 (64 KiB) in a small JSON object.
constexpr size_t kMaxIncomingBytes = size_t{128} * 1024;
// Other sites' retained status for the same gateway id arrive with the first one, from the
// broker's store; this long after the first, the answer is taken as complete.
constexpr auto kSiteSettle = std::chrono::milliseconds(500);
// Chunks are published before the reply; should QoS 1 bring some later, they get this long.
constexpr auto kChunkGrace = std::chrono::seconds(5);

// The link's notes, handed from its network thread to the waiting main thread.
class Inbox {
  public:
    void push(const uplink::LinkNote& note) {
        {
            std::lock_guard lock(mutex_);
            notes_.push_back(note);
        }
        ready_.notify_one();
    }
    std::optional<uplink::LinkNote> pop(Clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_until(lock, deadline, [&] { return !notes_.empty(); }))
            return std::nullopt;
        auto note = std::move(notes_.front());
        notes_.pop_front();
        return note;
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<uplink::LinkNote> notes_;
};

int usage(const std::string& message) {
    std::cerr << "sealwatch-county send: " << message << '\n';
    return kSendUsage;
}

uplink::LinkSettings link_settings(const Broker& b, std::vector<std::string> subscriptions) {
    uplink::LinkSettings s = broker_link(b);
    // A client id of its own: `run` keeps its session under cfg.broker.client_id.
    s.client_id = b.client_id + "-send-" + std::to_string(::getpid());
    s.backoff_min_ms = 200;
    s.backoff_max_ms = 2000;
    s.subscriptions = std::move(subscriptions);
    s.max_message_bytes = kMaxIncomingBytes;
    return s;
}

std::string value_text(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// The reply as people read it: one line, then the result's members.
void print_reply(const SendOptions& o, const std::string& site, const wire::CommandReply& r) {
    std::cout << o.gateway << " (" << site << ") " << o.verb << ": "
              << (r.ok ? std::string("ok") : "refused: " + r.reason) << '\n';
    if (r.result.is_object())
        for (const auto& [name, value] : r.result.items())
            std::cout << "  " << name << ": " << value_text(value) << '\n';
}

struct BundleOutcome {
    int code = kSendOk;
    json summary = json::object();
};

// Writes the reassembled bundle and checks it as `sealwatch verify` does.
BundleOutcome check_bundle(const SendOptions& o, const ExportAssembly& bundle,
                           const std::string& chunk_problem,
                           const std::optional<chain::PublicKey>& pinned) {
    BundleOutcome out;
    out.summary["dir"] = o.out_dir;
    out.summary["chunks"] = bundle.received();
    auto bad = [&](const std::string& verdict, const std::string& problem) {
        out.code = kSendRefused;
        out.summary["verify"] = verdict;
        out.summary["problem"] = problem;
        return out;
    };
    if (!chunk_problem.empty()) return bad("incomplete", chunk_problem);
    if (auto w = bundle.write(o.out_dir); !w) return bad("incomplete", w.error().message);
    auto report = evidence::verify_bundle(o.out_dir, pinned);
    out.summary["notes"] = report.notes;
    if (!report.ok) return bad("not_intact", report.problem);
    out.summary["verify"] = pinned ? "intact" : "key_not_pinned";
    if (pinned) {
        out.summary["key"] = o.pubkey ? "pubkey" : "pinned";
        out.summary["fingerprint"] = chain::fingerprint(*pinned);
    } else {
        out.code = kSendKeyNotPinned;
    }
    return out;
}

// The gateway's key as `run` pinned it on its first good chain head (county/store), when the
// county's database is here and has one: what an export is verified against without --pubkey.
std::optional<chain::PublicKey> pinned_by_run(const Config& cfg, const std::string& site,
                                              const std::string& gateway) {
    auto store = open_store(cfg, Access::read_only);
    if (!store) return std::nullopt;
    auto chain = (*store)->chain(GatewayRef{site, gateway});
    if (!chain) return std::nullopt;
    return chain->pinned_key;
}

void print_bundle(const BundleOutcome& b) {
    const auto& s = b.summary;
    const std::string verdict = s.value("verify", "");
    const std::string dir = s.value("dir", "");
    if (verdict == "intact")
        std::cout << "INTACT: " << dir << " (against "
                  << (s.value("key", "") == "pinned" ? "the key pinned by sealwatch-county run"
                                                     : "--pubkey")
                  << ", fingerprint " << s.value("fingerprint", "") << ")\n";
    else if (verdict == "key_not_pinned")
        std::cout << "KEY NOT PINNED: " << dir
                  << " is consistent and signed, but by the key it carries; give --pubkey with "
                     "the gateway's key from a trusted record (or let sealwatch-county run pin "
                     "it from the gateway's chain heads)\n";
    else if (verdict == "incomplete")
        std::cout << "INCOMPLETE: " << s.value("problem", "") << '\n';
    else
        std::cout << "NOT INTACT: " << s.value("problem", "") << '\n';
    if (s.contains("notes"))
        for (const auto& n : s["notes"]) std::cout << "  " << n.get<std::string>() << '\n';
}

}  // namespace

std::optional<json> parse_args(const std::vector<std::string>& words, std::string& problem) {
    json args = json::object();
    for (const auto& w : words) {
        auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0) {
            problem = "argument '" + w + "' is not NAME=VALUE";
            return std::nullopt;
        }
        auto name = w.substr(0, eq);
        if (args.contains(name)) {
            problem = "argument '" + name + "' given twice";
            return std::nullopt;
        }
        args[name] = w.substr(eq + 1);
    }
    return args;
}

int send(const Config& cfg, const SendOptions& o) {
    // Everything that can be judged here is, before anything is signed or sent.
    if (!is_valid_id(o.gateway)) return usage("'" + o.gateway + "' is not a gateway id");
    if (o.site && !is_valid_id(*o.site)) return usage("'" + *o.site + "' is not a site id");
    auto verb = command::parse_verb(o.verb);
    if (!verb || !command::arrives_by(*verb, command::Channel::mqtt))
        return usage("unknown verb '" + o.verb +
                     "' (ping, set-state, export, reload; an "
                     "inspection goes on a USB stick: sealwatch-county request)");
    if (auto p = command::args_problem(*verb, o.args); !p.empty()) return usage(o.verb + ": " + p);
    const bool exporting = *verb == command::Verb::export_bundle;
    if (exporting && o.out_dir.empty()) return usage("export needs --out DIR");
    auto key = county_key(cfg, o.key_id);
    if (!key) return usage(key.error().message);
    std::optional<chain::PublicKey> pinned;
    if (o.pubkey) {
        auto k = chain::load_public_key(*o.pubkey);
        if (!k) return usage(k.error().message);
        pinned = *k;
    }

    wire::CommandBody body;
    body.verb = o.verb;
    body.gateway = o.gateway;
    body.args = o.args;
    if (o.issued) {
        auto t = parse_time(*o.issued);
        if (!t) return usage("--issued '" + *o.issued + "' is no RFC 3339 time or Unix seconds");
        body.issued = *t;
    } else {
        body.issued = wall_now_ms();
    }
    body.expires = body.issued + WallMs{o.valid_for_s} * 1000;
    body.nonce = new_nonce();
    auto payload = sign_command(key->key, key->id, body);
    if (!payload) return usage(payload.error().message);

    // One connection: the gateway's retained status (for its site), its replies and, for
    // export, this command's chunks. Subscribed before anything is published.
    const std::string& prefix = cfg.broker.topic_prefix;
    const std::string site_level = o.site ? *o.site : "+";
    const auto any = wire::Topics::for_gateway(prefix, site_level, o.gateway);
    std::vector<std::string> subscriptions{any.cmd_reply};
    if (!o.site) subscriptions.push_back(any.status);
    if (exporting) subscriptions.push_back(any.export_chunks(body.nonce));
    Inbox inbox;
    uplink::MqttLink link(link_settings(cfg.broker, subscriptions),
                          [&](const uplink::LinkNote& n) { inbox.push(n); });
    if (auto r = link.start(); !r) return usage(r.error().message);

    const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
    std::optional<std::string> site = o.site;
    std::set<std::string> sites;                    // of the retained status messages seen
    std::optional<Clock::time_point> site_settled;  // when the site answer counts as complete
    bool connected = false, ever_connected = false, sent = false;
    std::string last_refusal;
    std::optional<wire::CommandReply> reply;
    std::string reply_payload;
    std::optional<Clock::time_point> chunks_until;
    ExportAssembly bundle(body.nonce);
    std::string chunk_problem;

    auto publish = [&]() -> bool {
        auto topics = wire::Topics::for_gateway(prefix, *site, o.gateway);
        if (!link.publish(topics.cmd(o.verb), *payload, false)) return false;
        sent = true;
        return true;
    };

    while (true) {
        auto now = Clock::now();
        auto until = deadline;
        if (site_settled && !sent) until = std::min(until, *site_settled);
        if (chunks_until) until = std::min(until, *chunks_until);
        if (reply && (!exporting || !reply->ok || bundle.complete())) break;
        if (chunks_until && now >= *chunks_until) break;
        if (!site && site_settled && now >= *site_settled) {
            if (sites.size() > 1) {
                std::string all;
                for (const auto& s : sites) all += (all.empty() ? "" : ", ") + s;
                link.stop();
                return usage("gateway " + o.gateway + " has a status under several sites (" + all +
                             "): say which with --site");
            }
            site = *sites.begin();
        }
        if (connected && site && !sent && !publish()) connected = false;  // retried at connect
        if (now >= deadline) break;
        auto note = inbox.pop(until);
        if (!note) continue;
        using Kind = uplink::LinkNote::Kind;
        if (note->kind == Kind::connected) {
            connected = ever_connected = true;
        } else if (note->kind == Kind::disconnected || note->kind == Kind::refused) {
            connected = false;
            last_refusal = note->reason;
        } else if (note->kind == Kind::message) {
            auto name = wire::parse_topic(prefix, note->topic);
            if (!name || name->gateway != o.gateway) continue;
            if (name->kind == wire::TopicKind::status && !site) {
                sites.insert(name->site);
                if (!site_settled) site_settled = Clock::now() + kSiteSettle;
            } else if (name->kind == wire::TopicKind::cmd_reply && site && name->site == *site) {
                auto r = wire::parse_reply(note->payload);
                if (!r || r->nonce != body.nonce) continue;
                reply = r;
                reply_payload = note->payload;
                if (exporting && r->ok) chunks_until = Clock::now() + kChunkGrace;
            } else if (name->kind == wire::TopicKind::export_chunks && name->arg == body.nonce) {
                auto chunk = wire::parse_export_chunk(note->payload);
                if (!chunk) {
                    if (chunk_problem.empty()) chunk_problem = "a malformed chunk arrived";
                } else if (auto p = bundle.add(*chunk); !p.empty() && chunk_problem.empty()) {
                    chunk_problem = p;
                }
            }
        }
    }
    link.stop();

    if (!sent) {
        if (ever_connected && !site) {
            std::cerr << "sealwatch-county send: gateway " << o.gateway
                      << " has no retained status under " << prefix
                      << "/+/: give its site with --site\n";
            return kSendUsage;
        }
        std::cerr << "sealwatch-county send: no connection to " << cfg.broker.host << ':'
                  << cfg.broker.port << " in " << o.timeout_s << " s"
                  << (last_refusal.empty() ? "" : " (" + last_refusal + ")")
                  << "; nothing was sent\n";
        return kSendNoBroker;
    }
    if (!reply) {
        std::cerr << "sealwatch-county send: no reply from " << o.gateway << " (" << *site
                  << ") within " << o.timeout_s << " s to nonce " << body.nonce
                  << "; whether it was carried out is unknown (the gateway's chain says)\n";
        return kSendNoReply;
    }

    int code = reply->ok ? kSendOk : kSendRefused;
    json out = json::parse(reply_payload, nullptr, false);
    BundleOutcome b;
    if (exporting && reply->ok) {
        if (!pinned) pinned = pinned_by_run(cfg, *site, o.gateway);
        b = check_bundle(o, bundle, chunk_problem, pinned);
        out["bundle"] = b.summary;
        code = b.code;
    }
    if (o.json) {
        std::cout << out.dump() << '\n';
    } else {
        print_reply(o, *site, *reply);
        if (exporting && reply->ok) print_bundle(b);
    }
    return code;
}

}  // namespace sealwatch::county
