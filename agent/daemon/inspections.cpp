#include "daemon/inspections.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chain/crypto.hpp"
#include "command/events.hpp"
#include "command/verify.hpp"
#include "common/log.hpp"
#include "daemon/commands.hpp"
#include "daemon/local_export.hpp"

namespace sealwatch::daemon {

namespace fs = std::filesystem;

namespace {

constexpr auto kWatchEvery = std::chrono::seconds(1);
constexpr auto kAnswerWithin = std::chrono::seconds(30);
// Room left on the stick beyond the bundle: directory entries, the SAFE-TO-REMOVE file.
constexpr int64_t kStickSlackBytes = int64_t{64} * 1024;

// The store says whether a nonce was used; remembering waits until the bundle is on the stick.
class CheckOnlyNonces final : public command::NonceMemory {
  public:
    explicit CheckOnlyNonces(store::Store& store) : store_(store) {}
    bool seen(std::string_view nonce) override { return store_.seen(nonce); }
    bool remember(std::string_view, WallMs) override { return true; }

  private:
    StoreNonces store_;
};

int64_t folder_bytes(const fs::path& dir) {
    int64_t bytes = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec))
        if (e.is_regular_file()) bytes += static_cast<int64_t>(e.file_size());
    return bytes;
}

std::string file_text(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string safe_to_remove_text(const wire::CommandBody& body, const std::string& folder,
                                const std::string& manifest_sha256, WallMs now) {
    std::string asset =
        body.args.contains("asset") ? body.args.at("asset").get<std::string>() : "all assets";
    return "sealwatch: the evidence bundle is written and synced. You can remove the stick now.\n"
           "\ngateway          " +
           body.gateway + "\nbundle           " + folder + "\nperiod           " +
           body.args.at("from").get<std::string>() + " to " +
           body.args.at("to").get<std::string>() + " (" + asset + ")\ninspector        " +
           body.args.at("inspector").get<std::string>() + "\nmanifest sha256  " + manifest_sha256 +
           "\nwritten          " + format_rfc3339(now) +
           " (UTC)\n\nCheck it on a laptop, without network:\n  sealwatch verify " + folder +
           " --pubkey gateway.pub\n(docs/inspector.md)\n";
}

}  // namespace

StickDesk::StickDesk(std::unique_ptr<board::StickWatch> watch)
    : watch_(std::move(watch)), thread_(&StickDesk::run, this) {}

StickDesk::~StickDesk() {
    stop();
}

void StickDesk::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::optional<board::LedPattern> StickDesk::led() const {
    int v = led_.load();
    if (v < 0) return std::nullopt;
    return static_cast<board::LedPattern>(v);
}

void StickDesk::set_led(std::optional<board::LedPattern> pattern) {
    led_ = pattern ? static_cast<int>(*pattern) : -1;
}

void StickDesk::run() {
    std::set<std::string> plugged;     // handled, not yet pulled
    std::optional<std::string> shown;  // whose result the LED shows
    bool logged_error = false;
    while (true) {
        {
            std::unique_lock lock(mutex_);
            if (stopping_) return;
        }
        auto now = watch_->mounted();
        if (!now) {
            if (!logged_error) log::warning("inspection: ", now.error().message);
            logged_error = true;
        } else {
            logged_error = false;
            std::erase_if(plugged, [&](const std::string& m) {
                return std::find(now->begin(), now->end(), m) == now->end();
            });
            if (shown && !plugged.contains(*shown)) {
                log::info("inspection: the stick at ", *shown, " was removed");
                shown.reset();
                set_led(std::nullopt);
            }
            for (const auto& m : *now) {
                if (plugged.contains(m)) continue;
                plugged.insert(m);
                set_led(inspect(m));
                shown = m;
            }
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, kWatchEvery, [this] { return stopping_; });
    }
}

board::LedPattern StickDesk::inspect(const std::string& mount_point) {
    set_led(board::LedPattern::stick_busy);
    log::info("inspection: a stick at ", mount_point);
    Outcome refusal;
    refusal.type = "inspection_refused";
    refusal.details["mount_point"] = mount_point;
    StickError error;
    auto stick = Stick::open(mount_point, error);
    if (!stick) {
        refusal.reason = "unreadable";
        refusal.details["detail"] = error.message;
        return finish(std::move(refusal));
    }
    auto files = stick->requests();
    if (files.empty()) {
        refusal.reason = "no_request";
        refusal.details["detail"] = "no " + std::string(wire::kStickRequestPrefix) + "*" +
                                    std::string(wire::kStickRequestSuffix) + " at the root";
        return finish(std::move(refusal));
    }
    if (stick->read_only()) {
        // Judged before the request: a read-only stick uses nothing up.
        refusal.reason = "read_only";
        refusal.details["detail"] = "the stick is mounted read-only";
        return finish(std::move(refusal));
    }
    auto answer = ask(std::move(files));
    if (!answer) return board::LedPattern::stick_refused;            // stopping
    if (!answer->accepted) return board::LedPattern::stick_refused;  // the main loop recorded it

    const auto& body = answer->body;
    const auto& cfg = *answer->cfg;
    log::info("inspection: request ", body.nonce, " signed by ", answer->key, " for ",
              body.args.at("inspector").get<std::string>(), " accepted; writing the bundle");
    Outcome out;
    out.body = body;
    out.key = answer->key;
    out.type = "inspection_failed";
    out.details["mount_point"] = mount_point;
    const std::string folder = "sealwatch-" + body.gateway + "-" + body.nonce;
    const ScratchFolder scratch(cfg, "stick-" + body.nonce);
    const fs::path& staging = scratch.path();
    auto summary = export_period(cfg, body.args, staging.string());
    if (!summary) {
        out.reason = "export_failed";
        out.details["message"] = summary.error().message;
        out.details["left"] = "nothing";
        return finish(std::move(out));
    }
    const int64_t bytes = folder_bytes(staging);
    const int64_t room = stick->free_bytes();
    if (bytes + kStickSlackBytes > room) {
        out.reason = "stick_full";
        out.details["message"] = "the bundle needs " + std::to_string(bytes) +
                                 " bytes, the stick has " + std::to_string(room) + " free";
        out.details["left"] = "nothing";
        return finish(std::move(out));
    }
    const std::string manifest_sha256 =
        chain::hex(chain::sha256(file_text(staging / "manifest.json")));
    // A SAFE-TO-REMOVE.txt from an earlier visit must not stand while this one is written.
    auto failed = stick->remove_synced(kSafeToRemoveFile);
    bool stopped = false;
    if (!failed)
        failed = stick->copy_bundle(staging.string(), folder, [&] {
            watch_->pace_write();
            std::lock_guard lock(mutex_);
            stopped = stopping_;
            return !stopping_ && stick->present();
        });
    if (failed) {
        const bool pulled = !stick->present();
        out.reason = pulled                  ? "pulled"
                     : stopped               ? "stopping"
                     : failed->err == ENOSPC ? "stick_full"
                                             : "write_failed";
        out.details["message"] = failed->message;
        const std::string partial = folder + kIncompleteSuffix;
        out.details["left"] = !pulled && stick->remove_tree(partial)
                                  ? "nothing (the partial folder was removed)"
                                  : "at most " + partial + ", named incomplete";
        return finish(std::move(out));
    }
    out.type = "inspection";
    out.details["folder"] = folder;
    out.details["manifest_sha256"] = manifest_sha256;
    out.details["bytes"] = bytes;
    out.details["readings"] = summary->readings;
    out.details["events"] = summary->events;
    out.details["first_n"] = summary->first_n;
    out.details["last_n"] = summary->last_n;
    out.details["fingerprint"] = summary->fingerprint;
    if (auto e = stick->write_synced(
            kSafeToRemoveFile, safe_to_remove_text(body, folder, manifest_sha256, answer->now)))
        out.details["notice"] =
            std::string(kSafeToRemoveFile) + " could not be written: " + e->message;
    log::info("inspection: ", folder, " written to ", mount_point, " (", bytes,
              " bytes, manifest sha256 ", manifest_sha256, "); the stick is safe to remove");
    return finish(std::move(out));
}

std::optional<StickDesk::Answer> StickDesk::ask(std::vector<Stick::File> files) {
    std::unique_lock lock(mutex_);
    ask_ = Ask{std::move(files)};
    answer_.reset();
    bool answered =
        wake_.wait_for(lock, kAnswerWithin, [this] { return stopping_ || answer_.has_value(); });
    ask_.reset();
    if (!answered || !answer_) {
        if (!stopping_) log::warning("inspection: no verdict on the request in time");
        return std::nullopt;
    }
    auto a = std::move(answer_);
    answer_.reset();
    return a;
}

board::LedPattern StickDesk::finish(Outcome outcome) {
    const bool done = outcome.type == "inspection";
    if (!done)
        log::warning("inspection: ", outcome.type == "inspection_refused" ? "refused" : "failed",
                     " (", outcome.reason, "): ", outcome.details.value("message", std::string()),
                     outcome.details.value("detail", std::string()), "; nothing usable written");
    {
        std::lock_guard lock(mutex_);
        outcomes_.push_back(std::move(outcome));
    }
    return done ? board::LedPattern::stick_done : board::LedPattern::stick_refused;
}

void StickDesk::turn(const Agent& agent, std::vector<Event>& events) {
    std::optional<Ask> waiting;
    std::vector<Outcome> finished;
    {
        std::lock_guard lock(mutex_);
        if (ask_ && !answer_) waiting = ask_;
        finished.swap(outcomes_);
    }
    if (waiting) {
        auto answer = judge(*waiting, agent, events);
        {
            std::lock_guard lock(mutex_);
            answer_ = std::move(answer);
        }
        wake_.notify_all();
    }
    const auto& gateway = agent.cfg.gateway.id;
    for (auto& o : finished) {
        if (o.type == "inspection_refused") {
            refused(o.reason, Severity::minor, std::move(o.details), agent, events);
        } else if (o.type == "inspection") {
            // Now the request is used up: the same file on another stick is a replay.
            if (auto r = agent.store.remember_command_nonce(
                    o.body.nonce, std::max(agent.now, o.body.expires) + command::kNonceKeepMs);
                !r) {
                log::warning("inspection: the request's nonce could not be stored: ",
                             r.error().message);
                o.details["notice"] = "the nonce could not be stored; a replay is not refused";
            }
            events.push_back(
                command::inspection_event(gateway, o.body, o.key, o.details, agent.now));
        } else {
            o.details["reason"] = o.reason;
            events.push_back(
                command::inspection_failed_event(gateway, o.body, o.key, o.details, agent.now));
        }
    }
}

StickDesk::Answer StickDesk::judge(const Ask& ask, const Agent& agent, std::vector<Event>& events) {
    const auto keys = command::trusted_keys(agent.cfg);
    command::Context context{agent.cfg.gateway.id, keys, agent.now, agent.clock_synced,
                             command::Channel::stick};
    CheckOnlyNonces nonces(agent.store);
    const std::string verb(command::to_string(command::Verb::inspect));
    std::optional<command::Verdict> refusal;
    std::string refused_file;
    for (const auto& f : ask.files) {
        auto verdict = command::verify(verb, f.text, context, nonces);
        if (verdict.accepted()) {
            Answer a;
            a.accepted = true;
            a.body = std::move(verdict.body);
            a.key = std::move(verdict.key);
            a.cfg = agent.cfg;
            a.now = agent.now;
            return a;
        }
        // A stick may carry requests for other gateways too: their refusal is not the news.
        if (!refusal || refusal->refusal == command::Refusal::other_gateway) {
            refusal = std::move(verdict);
            refused_file = f.name;
        }
    }
    nlohmann::ordered_json details;
    details["file"] = refused_file;
    details["key"] = refusal->key.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(refusal->key);
    details["nonce"] =
        refusal->nonce ? nlohmann::ordered_json(*refusal->nonce) : nlohmann::ordered_json(nullptr);
    if (!refusal->detail.empty()) details["detail"] = refusal->detail;
    const auto why = *refusal->refusal;
    log::warning("inspection: the stick's request ", refused_file, " was refused (",
                 command::reason(why), "); nothing written");
    refused(std::string(command::reason(why)), command::refusal_severity(why), std::move(details),
            agent, events);
    return Answer{};
}

void StickDesk::refused(const std::string& reason, Severity severity,
                        nlohmann::ordered_json details, const Agent& agent,
                        std::vector<Event>& events) {
    ++refusals_pending_;
    // A clock set backwards must not silence refusals until it catches up again.
    if (had_refusal_event_ && agent.now - last_refusal_event_ < kStickRefusalEveryMs &&
        agent.now >= last_refusal_event_)
        return;
    details["count"] = refusals_pending_;
    refusals_pending_ = 0;
    had_refusal_event_ = true;
    last_refusal_event_ = agent.now;
    events.push_back(command::inspection_refused_event(agent.cfg.gateway.id, reason, severity,
                                                       std::move(details), agent.now));
}

}  // namespace sealwatch::daemon
