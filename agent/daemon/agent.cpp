#include "daemon/agent.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <variant>
#include <vector>

#include "common/log.hpp"
#include "config/config.hpp"
#include "daemon/appliance.hpp"
#include "daemon/commands.hpp"
#include "daemon/inspections.hpp"
#include "detect/detector.hpp"
#include "evidence/agent_side.hpp"
#include "poll/bus_thread.hpp"
#include "poll/queue.hpp"
#include "store/reading_journal.hpp"
#include "store/store.hpp"
#include "uplink/uplink.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"
#include "wire/topics.hpp"

namespace sealwatch::daemon {

namespace {

using Input = std::variant<Reading, HealthChange, uplink::LinkNote>;

// Readings kept in memory when the store refuses them (disk full, I/O error) before the oldest
// are dropped: about ten minutes of 32 meters at 1 s.
constexpr size_t kMaxPendingReadings = 20000;
// How often the detector's state (open alarms, last counters) is saved besides after every
// event and at a clean stop: what a kill -9 can cost is this much of "last seen" freshness,
// never an alarm's identity.
constexpr int64_t kSnapshotEveryMs = 30000;
constexpr const char* kSnapshotKey = "detector.snapshot";
constexpr MonoNs kReloadAfterReplyNs = 500'000'000;

std::string status_payload(bool online, int64_t boot, WallMs now) {
    return wire::status_payload({online, now, SEALWATCH_VERSION, boot});
}

// Everything that is rebuilt when the config is reloaded.
class Running {
  public:
    Running(const config::Config& cfg, store::Store& store, poll::Queue<Input>& queue,
            CommandInbox& inbox, int64_t boot, const Clock& clock)
        : topics_(
              wire::Topics::for_gateway(cfg.uplink.topic_prefix, cfg.gateway.site, cfg.gateway.id)),
          offline_(status_payload(false, boot, clock.wall_ms())) {
        uplink::LinkSettings ls;
        ls.host = cfg.uplink.host;
        ls.port = cfg.uplink.port;
        ls.client_id = "sealwatch-" + cfg.gateway.site + "-" + cfg.gateway.id;
        ls.keepalive_s = cfg.uplink.keepalive_s;
        ls.username = cfg.uplink.username;
        ls.password = cfg.uplink.password;
        if (cfg.uplink.tls) {
            ls.tls = true;
            ls.ca_file = cfg.uplink.tls->ca_file;
            ls.cert_file = cfg.uplink.tls->cert_file;
            ls.key_file = cfg.uplink.tls->key_file;
        }
        ls.status_topic = topics_.status;
        ls.online_payload = status_payload(true, boot, clock.wall_ms());
        ls.will_payload = offline_;
        ls.max_inflight = cfg.uplink.max_inflight;
        ls.subscriptions = {topics_.cmd_filter()};
        ls.max_message_bytes = wire::kCommandMaxBytes;
        link_ = std::make_unique<uplink::MqttLink>(ls, [&queue, &inbox](const uplink::LinkNote& n) {
            if (n.kind == uplink::LinkNote::Kind::message) {
                inbox.push(n.topic, n.payload);  // bounded: a flood cannot grow memory
            } else {
                queue.push(n);
            }
        });
        uplink::PumpOptions po;
        po.batch_max_readings = static_cast<size_t>(cfg.uplink.batch_max_readings);
        po.batch_max_delay_ms = cfg.uplink.batch_max_delay_ms;
        po.window = static_cast<size_t>(cfg.uplink.max_inflight);
        uplink_ = std::make_unique<uplink::Uplink>(store, *link_, topics_, po);
        if (auto r = link_->start(); !r) log::error("uplink: ", r.error().message);

        for (const auto& bus : cfg.buses) {
            auto plans = poll::plan_bus(cfg, bus);
            log::info("bus ", bus.id, ": ", plans.size(), " meter(s), ",
                      std::string(bus.kind == config::BusKind::dlt645 ? "dlt645 "
                                  : bus.kind == config::BusKind::tcp  ? ""
                                                                      : "rtu ") +
                          (bus.device.empty() ? "tcp " + bus.host + ":" + std::to_string(bus.port)
                                              : bus.device),
                      ", timeout ", bus.timeout_ms, " ms");
            pollers_.push_back(std::make_unique<poll::BusThread>(
                bus, std::move(plans), [&queue](poll::PollOutput o) {
                    std::visit(
                        [&queue](auto&& v) { queue.push(Input(std::forward<decltype(v)>(v))); },
                        std::move(o));
                }));
        }
        for (auto& p : pollers_) p->start();
    }

    ~Running() {
        pollers_.clear();  // joins the bus threads first: nothing new arrives
        link_->stop(offline_);
    }

    uplink::Uplink& uplink() { return *uplink_; }
    uplink::MqttLink& link() { return *link_; }
    std::vector<std::pair<std::string, MonoNs>> bus_due() const {
        std::vector<std::pair<std::string, MonoNs>> out;
        for (const auto& p : pollers_) out.emplace_back(p->bus_id(), p->due_ns());
        return out;
    }

  private:
    wire::Topics topics_;
    std::string offline_;
    std::unique_ptr<uplink::MqttLink> link_;
    std::unique_ptr<uplink::Uplink> uplink_;
    std::vector<std::unique_ptr<poll::BusThread>> pollers_;
};

store::Options store_options(const config::Config& cfg) {
    store::Options o;
    o.budget_bytes = static_cast<int64_t>(cfg.storage.budget_mb) * 1024 * 1024;
    o.raw_retention_days = cfg.storage.raw_retention_days;
    return o;
}

std::string db_path(const config::Config& cfg) {
    return (std::filesystem::path(cfg.gateway.data_dir) / "sealwatch.db").string();
}

std::string journal_path(const config::Config& cfg) {
    return (std::filesystem::path(cfg.gateway.data_dir) / store::kJournalFile).string();
}

class MainLoop {
  public:
    MainLoop(RunOptions options, config::Config cfg, store::Store store,
             std::unique_ptr<Appliance> appliance, const Clock& clock)
        : clock_(clock),
          options_(std::move(options)),
          cfg_(std::move(cfg)),
          store_(std::move(store)),
          appliance_(std::move(appliance)) {}

    int run(std::atomic<Request>& request) {
        if (auto r = evidence_.start(cfg_); !r) {
            log::error("evidence: ", r.error().message);
            return 1;
        }
        boot_ = next_boot();
        open_journal();  // before anything is polled: what a killed run left is stored first
        appliance_->start(store_, boot_, events_);  // reads "running" before it is set
        (void)store_.set_meta("running", "1");
        make_detector();
        running_ = std::make_unique<Running>(cfg_, store_, queue_, inbox_, boot_, clock_);
        desk_ = std::make_unique<CommandDesk>(cfg_, clock_.mono_ns());
        sticks_ = std::make_unique<StickDesk>(appliance_->take_stick_watch());
        appliance_->ready();
        int64_t last_flush = clock_.wall_ms();
        int64_t last_retention = 0;
        while (true) {
            // Wake for the next item, or in time for the flush deadline (a short flush_ms is
            // kept, not rounded up to the 100 ms housekeeping tick).
            int64_t wait_ms = 100;
            if (!pending_.empty())
                wait_ms = std::clamp<int64_t>(last_flush + cfg_.storage.flush_ms - clock_.wall_ms(),
                                              0, 100);
            if (auto item = queue_.pop(std::chrono::milliseconds(wait_ms))) {
                handle(std::move(*item));
                // Take what is already there, then act; an event does not wait for the rest.
                for (int i = 0; i < 10000 && events_.empty(); ++i) {
                    auto more = queue_.pop(std::chrono::milliseconds(0));
                    if (!more) break;
                    handle(std::move(*more));
                }
            }
            int64_t now = clock_.wall_ms();
            if (now - last_tick_ >= 1000) {
                detector_->on_time(now, events_);
                last_tick_ = now;
            }
            commands(now);
            sticks_->turn({store_, cfg_, now, appliance_->clock_synced()}, events_);
            if (!events_.empty()) record_events();
            if (now - last_evidence_ >= 1000) {
                last_evidence_ = now;
                auto publish = [this](const std::string& topic, const std::string& payload) {
                    if (auto r = running_->link().publish(topic, payload, true); !r)
                        log_once("chain", r.error().message);
                };
                if (evidence_.turn(now, store_, *detector_, cfg_, running_->link().connected(),
                                   publish)) {
                    save_snapshot(now);
                    if (auto r = running_->uplink().pump(now); !r)
                        log_once("uplink", r.error().message);
                }
            }
            if (now - last_snapshot_ >= kSnapshotEveryMs) save_snapshot(now);
            if (pending_.size() >= 1000 || now - last_flush >= cfg_.storage.flush_ms) {
                flush();
                last_flush = now;
            }
            if (auto r = running_->uplink().pump(now); !r) log_once("uplink", r.error().message);
            appliance_->turn(store_,
                             {running_->bus_due(), running_->uplink().in_flight(),
                              !detector_->open_alarms().empty(), sticks_->led()},
                             events_);
            if (now - last_retention >= int64_t{cfg_.storage.check_interval_s} * 1000) {
                retention(now);
                last_retention = now;
            }
            Request req = request.exchange(Request::none);
            if (req == Request::stop) break;
            if (req == Request::reload || (reload_due_ns_ && clock_.mono_ns() >= reload_due_ns_))
                reload();
        }
        log::info("stopping");
        appliance_->stopping();
        desk_->wait_for_export();
        sticks_->stop();  // what it finished is recorded below
        sticks_->turn({store_, cfg_, clock_.wall_ms(), appliance_->clock_synced()}, events_);
        running_.reset();
        flush();
        if (!events_.empty()) record_events();
        save_snapshot(clock_.wall_ms());
        // Acknowledgements that arrived while stopping are applied: nothing acknowledged is
        // sent again after a clean stop.
        while (auto item = queue_.pop(std::chrono::milliseconds(0))) handle(std::move(*item));
        (void)store_.set_meta("running", "0");
        return 0;
    }

  private:
    int64_t next_boot() {
        auto prev = store_.meta("boot");
        int64_t boot = (prev && *prev) ? std::stoll(**prev) + 1 : 1;
        (void)store_.set_meta("boot", std::to_string(boot));
        return boot;
    }

    // Opens the reading journal of the current data_dir and folds into the store what a killed
    // run left in it. Without a journal the agent still runs, as before it had one: readings
    // then wait for the flush in memory only.
    void open_journal() {
        journal_.reset();
        auto j = store::ReadingJournal::open(journal_path(cfg_));
        if (!j) {
            log::error("journal: ", j.error().message, "; readings wait in memory until flushed");
            return;
        }
        const size_t already_pending = pending_.size();  // a reload whose last flush failed
        auto recovered = store::fold_journal(*j, store_);
        if (!recovered) {
            log::error("journal: ", recovered.error().message,
                       "; readings wait in memory until flushed");
            return;
        }
        if (recovered->torn_tail)
            log::warning(
                "journal: a torn last record was dropped (cut short by a kill or a power cut)");
        if (recovered->replayed > 0)
            log::info("journal: ", recovered->replayed,
                      " reading(s) polled before the agent stopped were stored now");
        if (!recovered->unstored.empty()) {
            log_once("store", "cannot store the journal's readings (kept, retrying): " +
                                  recovered->store_error);
            for (auto& r : recovered->unstored) pending_.push_back(std::move(r));
        }
        for (size_t i = 0; i < already_pending; ++i)
            if (auto r = j->append(pending_[i]); !r) log_once("journal", r.error().message);
        journal_ = std::make_unique<store::ReadingJournal>(std::move(*j));
    }

    void make_detector() {
        bool tz_ok = true;
        auto tz = detect::TimeZone::load(cfg_.gateway.timezone, &tz_ok);
        if (!tz_ok)
            log::warning("timezone ", cfg_.gateway.timezone,
                         " cannot be read; time-of-day rules use UTC");
        detector_ = std::make_unique<detect::Detector>(cfg_, std::move(tz));
        evidence::restore_asset_states(store_, *detector_, cfg_);  // set-state beats the config
        if (auto snap = store_.meta(kSnapshotKey); snap && *snap) {
            auto j = nlohmann::json::parse(**snap, nullptr, false);
            if (!j.is_discarded() && detector_->restore(j)) {
                auto open = detector_->open_alarms().size();
                if (open > 0) log::info("detector: ", open, " alarm(s) still open from before");
            } else {
                log::warning("detector: saved state unreadable; starting fresh");
            }
        }
        last_tick_ = 0;
    }

    // Events go to the store at once (not with the next readings batch) and the uplink is
    // pumped right away: an alarm does not wait for the flush period.
    void record_events() {
        for (const auto& e : events_) {
            if (options_.print_readings) print(wire::event_json(e).dump());
            if (auto r = store_.append_event(e); !r) {
                log_once("store", "cannot store an event: " + r.error().message);
                return;  // kept in events_; tried again on the next turn
            }
            log::info("event ", e.type, " ", to_string(e.state), " ",
                      e.asset.empty() ? e.meter : e.asset, " (", e.id, ")");
        }
        events_.clear();
        // Handed over first, then the detector's state saved (a JSON of all its state).
        if (running_)
            if (auto r = running_->uplink().pump(clock_.wall_ms()); !r)
                log_once("uplink", r.error().message);
        save_snapshot(clock_.wall_ms());
    }

    void save_snapshot(int64_t now) {
        if (!detector_) return;
        if (auto r = store_.set_meta(kSnapshotKey, detector_->snapshot().dump()); !r)
            log_once("store", "cannot save the detector state: " + r.error().message);
        last_snapshot_ = now;
    }

    void handle(Input item) {
        if (auto* r = std::get_if<Reading>(&item)) {
            // Into the journal first: from here on a kill -9 cannot lose it.
            if (journal_)
                if (auto j = journal_->append(*r); !j) log_once("journal", j.error().message);
            if (options_.print_readings) print(wire::reading_json(*r));
            detector_->on_reading(*r, events_);
            if (pending_.size() >= kMaxPendingReadings) {
                // Drop the oldest tenth at once: amortised O(1) per reading, not a shift each.
                const size_t drop = kMaxPendingReadings / 10;
                pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(drop));
                dropped_ += drop;
            }
            pending_.push_back(std::move(*r));
        } else if (auto* h = std::get_if<HealthChange>(&item)) {
            if (options_.print_readings) print(wire::health_json(*h));
            if (auto ok = store_.set_meter_health(*h); !ok) log_once("store", ok.error().message);
            detector_->on_health(*h, events_);
        } else if (auto* n = std::get_if<uplink::LinkNote>(&item)) {
            if (running_) running_->uplink().on_note(*n);
            appliance_->on_link(*n);
        }
    }

    // County commands waiting in the inbox (daemon/commands.hpp).
    void commands(WallMs now) {
        auto publish = [this](const std::string& topic, const std::string& payload) {
            return running_->link().publish(topic, payload, false).has_value();
        };
        CommandDesk::Agent agent{
            store_, *detector_, cfg_, now, clock_.mono_ns(), appliance_->clock_synced(), publish};
        auto outcome = desk_->turn(inbox_, agent, events_);
        if (outcome.stored_events) {
            save_snapshot(now);
            if (auto r = running_->uplink().pump(now); !r) log_once("uplink", r.error().message);
        }
        // Reloading restarts the link: give the reply a moment to leave first.
        if (outcome.reload) reload_due_ns_ = clock_.mono_ns() + kReloadAfterReplyNs;
    }

    void flush() {
        if (pending_.empty()) return;
        auto stored = store_.append_readings(pending_, journal_ ? journal_->generation() : 0);
        appliance_->stored(stored.has_value());
        if (auto& r = stored; !r) {
            log_once("store",
                     "cannot store readings (kept in memory, retrying): " + r.error().message);
            return;
        }
        if (!last_error_["store"].empty()) log::info("store: writing again");
        last_error_["store"].clear();
        if (dropped_ > 0) {
            log::warning("store: ", dropped_,
                         " reading(s) were dropped while the store refused them");
            dropped_ = 0;
        }
        pending_.clear();
        // The store now holds this generation (recorded in the same commit): start the next.
        if (journal_)
            if (auto j = journal_->start(journal_->generation() + 1); !j) {
                log_once("journal", j.error().message);
                journal_.reset();
            }
    }

    void retention(int64_t now) {
        auto r = store_.enforce_retention(now);
        if (!r) {
            log_once("retention", r.error().message);
            return;
        }
        if (r->readings_rolled_up > 0)
            log::info("storage: ", r->readings_rolled_up,
                      " raw reading(s) rolled up into minutes (", r->unsent_rolled_up,
                      " never sent), ", r->bytes_before, " -> ", r->bytes_after, " bytes");
        if (r->over_budget) log_once("budget", "storage: over budget with only events left");
        if (r->budget_rolled_up > 0) {
            // The county office must know that raw data was reduced to minute rollups.
            Event e;
            e.type = "storage_budget";
            e.id = cfg_.gateway.id + ":storage_budget:" + std::to_string(now);
            e.state = EventState::info;
            e.severity = r->unsent_rolled_up > 0 ? Severity::major : Severity::minor;
            e.ts = e.started = now;
            e.details["rolled_up_readings"] = r->budget_rolled_up;
            e.details["never_sent_readings"] = r->unsent_rolled_up;
            e.details["bytes_before"] = r->bytes_before;
            e.details["bytes_after"] = r->bytes_after;
            e.details["budget_bytes"] = int64_t{cfg_.storage.budget_mb} * 1024 * 1024;
            events_.push_back(std::move(e));
        }
    }

    void reload() {
        auto fresh = config::load(options_.config_path);
        if (!fresh) {
            log::error("reload: ", options_.config_path,
                       " has problems; keeping the running config");
            for (const auto& p : fresh.error()) log::error(p);
            return;
        }
        reload_due_ns_ = 0;
        log::info("reload: applying ", options_.config_path);
        appliance_->reloading();
        desk_->wait_for_export();
        running_.reset();
        flush();
        if (!events_.empty()) record_events();
        save_snapshot(clock_.wall_ms());
        if (db_path(*fresh) != db_path(cfg_)) {
            auto s = store::Store::open(db_path(*fresh), store_options(*fresh));
            if (!s) {
                log::error("reload: cannot open the new store: ", s.error().message,
                           "; keeping the old data_dir");
                fresh->gateway.data_dir = cfg_.gateway.data_dir;
            } else {
                store_ = std::move(*s);
                cfg_.gateway.data_dir = fresh->gateway.data_dir;
                open_journal();  // the new data_dir's, replayed into the new store
            }
        }
        cfg_ = std::move(*fresh);
        make_detector();  // the new assets and thresholds; open alarms carry over by snapshot
        running_ = std::make_unique<Running>(cfg_, store_, queue_, inbox_, boot_, clock_);
        desk_->set_config(cfg_);
        appliance_->ready();  // [board] changes take effect at the next start
    }

    static void print(const std::string& line) {
        std::string l = line + "\n";
        std::fwrite(l.data(), 1, l.size(), stdout);
        std::fflush(stdout);
    }

    // Logs an error once until it changes or clears: a full disk is one line, not one a second.
    void log_once(const std::string& what, const std::string& message) {
        auto& last = last_error_[what];
        if (last != message) log::error(what, ": ", message);
        last = message;
    }

    const Clock& clock_;
    RunOptions options_;
    config::Config cfg_;
    store::Store store_;
    poll::Queue<Input> queue_;
    CommandInbox inbox_;
    std::unique_ptr<CommandDesk> desk_;
    std::unique_ptr<StickDesk> sticks_;
    MonoNs reload_due_ns_ = 0;
    std::unique_ptr<Appliance> appliance_;
    std::unique_ptr<Running> running_;
    std::unique_ptr<detect::Detector> detector_;
    std::vector<Event> events_;
    int64_t last_tick_ = 0;
    int64_t last_evidence_ = 0;
    evidence::AgentSide evidence_;
    int64_t last_snapshot_ = 0;
    std::vector<Reading> pending_;
    std::unique_ptr<store::ReadingJournal> journal_;  // pending_, kept where a kill cannot reach
    size_t dropped_ = 0;
    int64_t boot_ = 0;
    std::map<std::string, std::string> last_error_;
};

}  // namespace

int run(const RunOptions& options, std::atomic<Request>& request) {
    auto loaded = config::load(options.config_path);
    if (!loaded) {
        for (const auto& p : loaded.error()) std::cerr << p << '\n';
        return 2;
    }
    auto store = store::Store::open(db_path(*loaded), store_options(*loaded));
    if (!store) {
        log::error("store: ", store.error().message);
        return 1;
    }
    log::info("sealwatchd ", SEALWATCH_VERSION, " starting: gateway ", loaded->gateway.id, " site ",
              loaded->gateway.site, ", ", loaded->meters.size(), " meter(s) on ",
              loaded->buses.size(), " bus(es), data in ", db_path(*loaded));
    auto appliance = Appliance::open(*loaded);
    if (!appliance) {
        log::error("board: ", appliance.error().message);
        return 1;
    }
    MainLoop loop(options, std::move(*loaded), std::move(*store), std::move(*appliance),
                  system_clock());
    return loop.run(request);
}

}  // namespace sealwatch::daemon
