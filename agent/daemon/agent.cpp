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
#include "daemon/permissions.hpp"
#include "daemon/storage_events.hpp"
#include "detect/detector.hpp"
#include "evidence/agent_side.hpp"
#include "poll/bus_thread.hpp"
#include "poll/queue.hpp"
#include "store/reading_journal.hpp"
#include "store/recovery.hpp"
#include "store/schema.hpp"
#include "store/storage_note.hpp"
#include "store/store.hpp"
#include "uplink/uplink.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"
#include "wire/topics.hpp"

namespace sealwatch::daemon {

namespace {

using Input = std::variant<Reading, HealthChange, EventCounts, uplink::LinkNote>;

// Readings kept in memory when the store refuses them (disk full, I/O error) before the oldest
// are dropped: about ten minutes of 32 meters at 1 s.
constexpr size_t kMaxPendingReadings = 20000;
// How often the detector's state (open alarms, last counters) is saved besides after every
// event and at a clean stop: what a kill -9 can cost is this much of "last seen" freshness,
// never an alarm's identity.
constexpr int64_t kSnapshotEveryMs = 30000;
constexpr const char* kSnapshotKey = "detector.snapshot";
constexpr MonoNs kReloadAfterReplyNs = 500'000'000;
// The housekeeping tick: county commands, sticks, the appliance (LEDs, watchdog) and the
// uplink's own timers are turned this often, not at every wake-up. A bus wakes the loop once per
// meter poll (32 times a second in the standard scenario), and those turns (SQLite reads among
// them) cost more than the reading itself (docs/performance.md, "Where the CPU goes").
// Kept on the monotonic clock: a wall clock set back must not stop the watchdog's feeding.
constexpr MonoNs kHousekeepingNs = 100'000'000;

std::string status_payload(bool online, int64_t boot, WallMs now) {
    return wire::status_payload({online, now, SEALWATCH_VERSION, boot});
}

// What the broker link was made from: [uplink], the gateway's id and site (its topics and client
// id) and the TLS files as they are on disk (a renewed certificate under the same name is a
// change). A reload that leaves all of it alone keeps the MQTT session.
struct LinkBasis {
    config::Uplink uplink;
    std::string gateway, site;
    std::vector<std::pair<std::filesystem::file_time_type, uintmax_t>> tls_files;
    bool operator==(const LinkBasis&) const = default;
};

LinkBasis link_basis(const config::Config& cfg) {
    LinkBasis b{cfg.uplink, cfg.gateway.id, cfg.gateway.site, {}};
    if (cfg.uplink.tls)
        for (const auto* f :
             {&cfg.uplink.tls->ca_file, &cfg.uplink.tls->cert_file, &cfg.uplink.tls->key_file}) {
            std::error_code ec;
            auto when = std::filesystem::last_write_time(*f, ec);
            auto size = std::filesystem::file_size(*f, ec);
            b.tls_files.emplace_back(ec ? std::filesystem::file_time_type{} : when, ec ? 0 : size);
        }
    return b;
}

// Everything that is rebuilt when the config is reloaded: the buses always, the broker link
// only when its basis changed.
class Running {
  public:
    // clock_synced: the wall clock's state as the appliance last saw it; every reading is
    // stamped with it when its poll hands it on (Reading::clock_unsynced).
    Running(const config::Config& cfg, store::Store& store, poll::Queue<Input>& queue,
            CommandInbox& inbox, int64_t boot, const Clock& clock,
            const std::atomic<bool>& clock_synced)
        : basis_(link_basis(cfg)),
          topics_(
              wire::Topics::for_gateway(cfg.uplink.topic_prefix, cfg.gateway.site, cfg.gateway.id)),
          queue_(queue),
          clock_synced_(clock_synced) {
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
        ls.status_payload = [boot, &clock](bool online) {
            return status_payload(online, boot, clock.wall_ms());
        };
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
        start_buses(cfg);
    }

    ~Running() {
        stop_buses();
        if (auto r = uplink_->apply_acks(); !r)
            log::warning("uplink: acknowledgements not recorded: ", r.error().message);
        link_->stop();
    }

    // Whether a reload to `fresh` may keep this broker link (and its MQTT session).
    bool link_serves(const config::Config& fresh) const { return basis_ == link_basis(fresh); }

    // The bus threads joined: nothing new arrives from them.
    void stop_buses() { pollers_.clear(); }

    void start_buses(const config::Config& cfg) {
        auto& queue = queue_;
        const auto& clock_synced = clock_synced_;
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
                bus, std::move(plans), [&queue, &clock_synced](poll::PollOutput o) {
                    if (auto* reading = std::get_if<Reading>(&o))
                        reading->clock_unsynced = !clock_synced.load(std::memory_order_relaxed);
                    std::visit(
                        [&queue](auto&& v) { queue.push(Input(std::forward<decltype(v)>(v))); },
                        std::move(o));
                }));
        }
        for (auto& p : pollers_) p->start();
    }

    uplink::Uplink& uplink() { return *uplink_; }
    uplink::MqttLink& link() { return *link_; }
    std::vector<std::pair<std::string, MonoNs>> bus_due() const {
        std::vector<std::pair<std::string, MonoNs>> out;
        for (const auto& p : pollers_) out.emplace_back(p->bus_id(), p->due_ns());
        return out;
    }

  private:
    LinkBasis basis_;
    wire::Topics topics_;
    poll::Queue<Input>& queue_;
    const std::atomic<bool>& clock_synced_;
    std::unique_ptr<uplink::MqttLink> link_;
    std::unique_ptr<uplink::Uplink> uplink_;
    std::vector<std::unique_ptr<poll::BusThread>> pollers_;
};

// How long the start's quick_check of the database may take before it is given up (measured:
// docs/performance.md, "Durability"); a check given up is logged, and the durable mark is still
// compared.
constexpr int64_t kStartCheckBudgetMs = 20000;

store::Options store_options(const config::Config& cfg) {
    store::Options o;
    o.durable_mark_path =
        (std::filesystem::path(cfg.gateway.data_dir) / store::kDurableMarkFile).string();
    o.budget_bytes = static_cast<int64_t>(cfg.storage.budget_mb) * 1024 * 1024;
    o.raw_retention_days = cfg.storage.raw_retention_days;
    return o;
}

std::string db_path(const config::Config& cfg) {
    return store::database_path(cfg.gateway.data_dir);
}

std::string journal_path(const config::Config& cfg) {
    return (std::filesystem::path(cfg.gateway.data_dir) / store::kJournalFile).string();
}

std::string note_path(const config::Config& cfg) {
    return (std::filesystem::path(cfg.gateway.data_dir) / store::kStorageNoteFile).string();
}

class MainLoop {
  public:
    MainLoop(RunOptions options, config::Config cfg, store::OpenedStore opened,
             evidence::AgentSide evidence, std::unique_ptr<Appliance> appliance, const Clock& clock)
        : clock_(clock),
          options_(std::move(options)),
          cfg_(std::move(cfg)),
          store_(std::move(opened.store)),
          damage_at_start_(std::move(opened.damage)),
          appliance_(std::move(appliance)),
          evidence_(std::move(evidence)) {}

    int run(std::atomic<Request>& request) {
        boot_ = next_boot();
        open_note();
        // The damage is the new chain's first entry, before the journal's readings.
        if (damage_at_start_) record_damage(*damage_at_start_, "start");
        open_journal();  // before anything is polled: what a killed run left is stored first
        appliance_->start(*store_, boot_, events_);  // reads "running" before it is set
        (void)store_->set_meta("running", "1");
        make_detector();
        running_ = std::make_unique<Running>(cfg_, *store_, queue_, inbox_, boot_, clock_,
                                             appliance_->clock_synced_flag());
        desk_ = std::make_unique<CommandDesk>(cfg_, clock_.mono_ns());
        sticks_ = std::make_unique<StickDesk>(appliance_->take_stick_watch());
        appliance_->ready();
        tell_flush_period();
        int64_t last_flush = clock_.wall_ms();
        int64_t last_retention = 0;
        while (true) {
            // Wake for the next item, or in time for the housekeeping tick or the flush deadline
            // (a short flush_ms is kept, not rounded up to the tick). Rounded up: a wait of 0
            // before the tick would spin.
            int64_t wait_ms = std::clamp<int64_t>(
                (last_housekeeping_ + kHousekeepingNs - clock_.mono_ns() + 999'999) / 1'000'000, 0,
                100);
            if (!pending_.empty())
                wait_ms = std::min(
                    wait_ms, std::clamp<int64_t>(flush_at(last_flush) - clock_.wall_ms(), 0, 100));
            if (auto item = queue_.pop(std::chrono::milliseconds(wait_ms))) {
                const size_t waiting = events_.size();  // events the store has not taken yet
                handle(std::move(*item));
                // Take what is already there, then act; a new event does not wait for the rest.
                for (int i = 0; i < 10000 && events_.size() == waiting; ++i) {
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
            const bool housekeeping = clock_.mono_ns() - last_housekeeping_ >= kHousekeepingNs;
            if (housekeeping) {
                last_housekeeping_ = clock_.mono_ns();
                commands(now);
                sticks_->turn({*store_, cfg_, now, appliance_->clock_synced()}, events_);
            }
            if (!events_.empty()) record_events();
            if (now - last_evidence_ >= 1000) {
                last_evidence_ = now;
                auto publish = [this](const std::string& topic, const std::string& payload) {
                    if (auto r = running_->link().publish(topic, payload, true); !r)
                        log_once("chain", r.error().message);
                };
                if (evidence_.turn(now, *store_, *detector_, cfg_, running_->link().connected(),
                                   publish)) {
                    save_snapshot(now);
                    if (auto r = running_->uplink().pump(now); !r)
                        log_once("uplink", r.error().message);
                }
            }
            if (now - last_snapshot_ >= kSnapshotEveryMs) save_snapshot(now);
            // Early when many readings wait, but not while the disk is full: then every turn
            // would try (and fail) to store them all.
            bool flushed = false;
            if ((pending_.size() >= 1000 && full_since_ == 0) || now >= flush_at(last_flush)) {
                flush();
                last_flush = now;
                flushed = true;
            }
            // After a flush at once (its telemetry is ready) and after acknowledgements, else at
            // the tick (the batches' delay); events pump when they are recorded.
            if (housekeeping || flushed || link_moved_) {
                link_moved_ = false;
                if (auto r = running_->uplink().pump(now); !r)
                    log_once("uplink", r.error().message);
            }
            if (housekeeping)
                appliance_->turn(*store_,
                                 {running_->bus_due(), running_->uplink().in_flight(),
                                  !detector_->open_alarms().empty(), sticks_->led()},
                                 events_);
            if (now - last_retention >= int64_t{cfg_.storage.check_interval_s} * 1000) {
                retention(now);
                last_retention = now;
            }
            if (!watch_storage(now)) return 1;
            Request req = request.exchange(Request::none);
            if (req == Request::stop) break;
            if (req == Request::reload || (reload_due_ns_ && clock_.mono_ns() >= reload_due_ns_))
                reload();
        }
        log::info("stopping");
        appliance_->stopping();
        desk_->wait_for_export();
        sticks_->stop();  // what it finished is recorded below
        sticks_->turn({*store_, cfg_, clock_.wall_ms(), appliance_->clock_synced()}, events_);
        running_.reset();
        flush();
        if (!events_.empty()) record_events();
        save_snapshot(clock_.wall_ms());
        // Acknowledgements that arrived while stopping are applied: nothing acknowledged is
        // sent again after a clean stop.
        while (auto item = queue_.pop(std::chrono::milliseconds(0))) handle(std::move(*item));
        (void)store_->set_meta("running", "0");
        return 0;
    }

  private:
    int64_t next_boot() {
        auto prev = store_->meta("boot");
        int64_t boot = (prev && *prev) ? std::stoll(**prev) + 1 : 1;
        (void)store_->set_meta("boot", std::to_string(boot));
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
        auto recovered = store::fold_journal(*j, *store_);
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
        evidence::restore_asset_states(*store_, *detector_, cfg_);  // set-state beats the config
        if (auto snap = store_->meta(kSnapshotKey); snap && *snap) {
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
    // An event is told (log, --print-readings) once, when it is first seen here, whether or not
    // the store takes it now: with a full disk it waits in events_, and is stored (once) later.
    void record_events() {
        for (size_t i = announced_; i < events_.size(); ++i) announce(events_[i]);
        announced_ = events_.size();
        size_t stored = 0;
        for (; stored < events_.size(); ++stored)
            if (auto r = store_->append_event(events_[stored]); !r) {
                log_once("store.events",
                         "cannot store an event (kept in memory, retrying): " + r.error().message);
                break;
            }
        events_.erase(events_.begin(), events_.begin() + static_cast<long>(stored));
        announced_ -= stored;
        if (!events_.empty()) return;  // the rest is tried again on the next turn
        last_error_["store.events"].clear();
        if (pending_.empty()) storage_writes_again();  // else the readings' flush tells
        // Handed over first, then the detector's state saved (a JSON of all its state).
        if (running_)
            if (auto r = running_->uplink().pump(clock_.wall_ms()); !r)
                log_once("uplink", r.error().message);
        save_snapshot(clock_.wall_ms());
    }

    void announce(const Event& e) {
        if (options_.print_readings) print(wire::event_json(e).dump());
        log::info("event ", e.type, " ", to_string(e.state), " ",
                  e.asset.empty() ? e.meter : e.asset, " (", e.id, ")");
    }

    void save_snapshot(int64_t now) {
        if (!detector_) return;
        if (auto r = store_->set_meta(kSnapshotKey, detector_->snapshot().dump()); !r)
            log_once("store.snapshot", "cannot save the detector state: " + r.error().message);
        last_snapshot_ = now;
    }

    void handle(Input item) {
        if (auto* r = std::get_if<Reading>(&item)) {
            // Into the journal first: from here on a kill -9 cannot lose it.
            if (journal_)
                if (auto j = journal_->append(*r); !j) log_once("journal", j.error().message);
            last_reading_ms_ = clock_.wall_ms();
            if (options_.print_readings) print(wire::reading_json(*r));
            detector_->on_reading(*r, events_);
            if (pending_.size() >= kMaxPendingReadings) {
                // Drop the oldest tenth at once: amortised O(1) per reading, not a shift each.
                const size_t drop = kMaxPendingReadings / 10;
                pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(drop));
                dropped_ += drop;
                dropped_total_ += drop;
            }
            pending_.push_back(std::move(*r));
        } else if (auto* h = std::get_if<HealthChange>(&item)) {
            if (options_.print_readings) print(wire::health_json(*h));
            if (auto ok = store_->set_meter_health(*h); !ok) log_once("store", ok.error().message);
            detector_->on_health(*h, events_);
        } else if (auto* c = std::get_if<EventCounts>(&item)) {
            const size_t before = events_.size();
            detector_->on_event_counts(*c, events_);
            // The last known counts are in the detector's snapshot: saved now when nothing
            // moved or a count was first seen, and after the events are stored when one
            // advanced (record_events), so that a restart neither misses nor repeats one.
            if (events_.size() == before) save_snapshot(clock_.wall_ms());
        } else if (auto* n = std::get_if<uplink::LinkNote>(&item)) {
            if (running_) running_->uplink().on_note(*n);
            // An acknowledgement frees a place in the window, a connect opens it: the pump goes
            // on this turn, not at the tick (a backlog drains at the broker's pace, not 32
            // messages per tick).
            if (n->kind != uplink::LinkNote::Kind::message) link_moved_ = true;
            appliance_->on_link(*n);
        }
    }

    // County commands waiting in the inbox (daemon/commands.hpp).
    void commands(WallMs now) {
        auto publish = [this](const std::string& topic, const std::string& payload) {
            return running_->link().publish(topic, payload, false).has_value();
        };
        CommandDesk::Agent agent{
            *store_, *detector_, cfg_, now, clock_.mono_ns(), appliance_->clock_synced(), publish};
        auto outcome = desk_->turn(inbox_, agent, events_);
        if (outcome.stored_events) {
            save_snapshot(now);
            if (auto r = running_->uplink().pump(now); !r) log_once("uplink", r.error().message);
        }
        // Reloading restarts the link: give the reply a moment to leave first.
        if (outcome.reload) reload_due_ns_ = clock_.mono_ns() + kReloadAfterReplyNs;
    }

    // When the readings waiting are due to be stored: flush_ms after the last flush, but in a
    // pause of the readings, so that a poll cycle's readings are committed (and their telemetry
    // leaves) as the cycle ends, not a period later; a bus that never pauses waits at most half
    // a period more.
    int64_t flush_at(int64_t last_flush) const {
        const int64_t period = flush_ms();
        return std::min(std::max(last_flush + period, last_reading_ms_ + kFlushPauseMs),
                        last_flush + period + period / 2);
    }

    // [storage] flush_ms, or when it is not set the default for the database's page size.
    int flush_ms() const {
        return cfg_.storage.flush_ms.value_or(store::default_flush_ms(store_->page_size()));
    }

    // Said at the start and when the config or the database changes: an upgraded gateway's
    // database keeps its 4 KiB pages and with them the 5 s it was made with, and the operator
    // should be able to see why telemetry leaves later there than on a new gateway.
    void tell_flush_period() {
        const int period = flush_ms();
        if (period == told_flush_ms_) return;
        told_flush_ms_ = period;
        if (cfg_.storage.flush_ms) {
            log::info("storage: readings committed every ", period, " ms ([storage] flush_ms)");
        } else {
            log::info("storage: readings committed every ", period,
                      " ms (the default for this database's ", store_->page_size(),
                      "-byte pages; [storage] flush_ms sets it)");
        }
    }

    void flush() {
        if (pending_.empty()) return;
        const uint64_t generation = journal_ ? journal_->generation() : 0;
        // With the uplink running, the batch's telemetry takes its seq in the same commit.
        auto stored =
            running_ ? running_->uplink().fold(clock_.wall_ms(), {pending_, generation}, flush_ms())
                     : store_->append_readings(pending_, generation);
        // A full disk is no stall for the watchdog (health.hpp): a restart frees no space and
        // would lose what waits in memory.
        appliance_->stored(stored.has_value() ||
                           store_->worst_failure() == sqlite::Failure::disk_full);
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
        storage_writes_again();
        // The store now holds this generation (recorded in the same commit): start the next.
        if (journal_)
            if (auto j = journal_->start(journal_->generation() + 1); !j) {
                log_once("journal", j.error().message);
                journal_.reset();
            }
    }

    // The agent's word on its storage for `sealwatch status` (store/storage_note.hpp).
    void open_note() {
        auto n = store::StorageNoteFile::open(note_path(cfg_));
        if (!n) {
            log::warning("storage note: ", n.error().message);
            return;
        }
        note_ = std::move(*n);
        write_note({"ok", clock_.wall_ms(), ""});
    }

    void write_note(const store::StorageNote& n) {
        if (note_)
            if (auto r = note_->write(n); !r) log_once("storage note", r.error().message);
    }

    // The damaged database was set aside and a new one started (store/recovery.hpp): the fact
    // is the new chain's first entry, and stays in the meta table for `sealwatch status`.
    void record_damage(const store::Damage& d, const std::string& when) {
        log::error("store: the database was damaged (", d.reason, "); kept in ", d.kept_as,
                   "; a new database goes on from chain entry ", d.continued_from_n + 1,
                   " and seq ", d.continued_seq,
                   d.salvaged.empty()
                       ? std::string(", nothing salvaged")
                       : ", salvaged " + std::to_string(d.salvaged.size()) + " part(s)");
        auto e = database_damaged(cfg_.gateway.id, d, clock_.wall_ms(), when);
        (void)store_->set_meta(store::kDatabaseReplacedKey, wire::event_json(e).dump());
        announce(e);  // first in line: before any event still waiting from the damaged store
        events_.insert(events_.begin(), std::move(e));
        ++announced_;
        record_events();
    }

    // Acts on the most serious store failure of the turn (sqlite.hpp), once per main-loop turn. A
    // damaged database is set aside and replaced at once, as at start; a full disk is an
    // episode (storage_full raised now, cleared by the first write that goes through again)
    // while polling and detecting go on and readings and events wait in memory. False: the
    // agent cannot go on (no database could be started).
    bool watch_storage(WallMs now) {
        const auto failure = store_->worst_failure();
        const std::string message = store_->worst_failure_message();
        store_->forget_failure();
        if (failure == sqlite::Failure::damaged) return replace_damaged_store(message);
        if (failure == sqlite::Failure::disk_full && full_since_ == 0) {
            full_since_ = now;
            dropped_at_full_ = dropped_total_;
            log::error(
                "storage: the disk is full; polling and detecting go on, readings and "
                "events wait in memory");
            write_note({"full", now, message});
            events_.push_back(storage_full_raised(cfg_.gateway.id, now, message));
        }
        return true;
    }

    void storage_writes_again() {
        if (full_since_ == 0) return;
        const WallMs now = clock_.wall_ms();
        log::info("storage: writing again after ", (now - full_since_) / 1000, " s of a full disk");
        events_.push_back(storage_full_cleared(cfg_.gateway.id, full_since_, now,
                                               dropped_total_ - dropped_at_full_));
        full_since_ = 0;
        write_note({"ok", now, ""});
        // A write refused earlier in this turn (a snapshot, an event) is older than the one
        // that just went through: left standing, watch_storage would raise a second episode
        // at the turn's end that the next write clears at once.
        store_->forget_failure();
    }

    bool replace_damaged_store(const std::string& message) {
        const std::string why = "found damaged while running: " + message;
        log::error("store: the database is damaged (", message,
                   "); setting it aside and starting a new one");
        desk_->wait_for_export();
        running_.reset();
        journal_.reset();
        store_.reset();  // closed before its files move
        // pending_ holds every reading not yet stored; the old journal's copy of them goes, so
        // that they are stored once, from pending_.
        std::error_code ec;
        std::filesystem::remove(journal_path(cfg_), ec);
        auto opened =
            store::open_checked(db_path(cfg_), store_options(cfg_), kStartCheckBudgetMs, why);
        if (!opened) {
            log::error("store: cannot start a new database: ", opened.error().message);
            return false;
        }
        store_ = std::move(opened->store);
        last_error_["store"].clear();
        record_damage(*opened->damage, "running");
        tell_flush_period();  // the new file has kPageSize pages
        open_journal();
        make_detector();
        running_ = std::make_unique<Running>(cfg_, *store_, queue_, inbox_, boot_, clock_,
                                             appliance_->clock_synced_flag());
        return true;
    }

    void retention(int64_t now) {
        auto r = store_->enforce_retention(now);
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
        if (auto problems = permission_problems(*fresh, options_.config_path); !problems.empty()) {
            log::error("reload: ", options_.config_path,
                       " names files others may read or change; keeping the running config");
            for (const auto& p : problems) log::error("permissions: ", p);
            return;
        }
        reload_due_ns_ = 0;
        log::info("reload: applying ", options_.config_path);
        appliance_->reloading();
        desk_->wait_for_export();
        // The county sees no offline blip for a reload that leaves the link's basis alone.
        const bool keep_link =
            db_path(*fresh) == db_path(cfg_) && running_ && running_->link_serves(*fresh);
        if (keep_link) {
            running_->stop_buses();
        } else {
            running_.reset();
        }
        flush();
        if (!events_.empty()) record_events();
        save_snapshot(clock_.wall_ms());
        if (db_path(*fresh) != db_path(cfg_)) {
            auto s =
                store::open_checked(db_path(*fresh), store_options(*fresh), kStartCheckBudgetMs);
            if (!s) {
                log::error("reload: cannot open the new store: ", s.error().message,
                           "; keeping the old data_dir");
                fresh->gateway.data_dir = cfg_.gateway.data_dir;
            } else {
                store_ = std::move(s->store);
                cfg_.gateway.data_dir = fresh->gateway.data_dir;
                open_note();
                if (s->damage) record_damage(*s->damage, "start");
                open_journal();  // the new data_dir's, replayed into the new store
            }
        }
        cfg_ = std::move(*fresh);
        make_detector();  // the new assets and thresholds; open alarms carry over by snapshot
        if (keep_link) {
            log::info("reload: the broker link is unchanged and kept");
            running_->start_buses(cfg_);
        } else {
            running_ = std::make_unique<Running>(cfg_, *store_, queue_, inbox_, boot_, clock_,
                                                 appliance_->clock_synced_flag());
        }
        desk_->set_config(cfg_);
        tell_flush_period();
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
    std::optional<store::Store> store_;  // empty only while a damaged one is replaced
    std::optional<store::Damage> damage_at_start_;
    poll::Queue<Input> queue_;
    CommandInbox inbox_;
    std::unique_ptr<CommandDesk> desk_;
    std::unique_ptr<StickDesk> sticks_;
    MonoNs reload_due_ns_ = 0;
    std::unique_ptr<Appliance> appliance_;
    evidence::AgentSide evidence_;
    std::unique_ptr<Running> running_;
    std::unique_ptr<detect::Detector> detector_;
    std::vector<Event> events_;
    size_t announced_ = 0;  // events_[0, announced_) have been told (record_events)
    int64_t last_tick_ = 0;
    MonoNs last_housekeeping_ = 0;
    bool link_moved_ = false;      // an ack or a connect since the last pump
    int64_t last_reading_ms_ = 0;  // when the last reading reached the loop (flush_at)
    int told_flush_ms_ = 0;        // the flush period last logged (tell_flush_period)
    // A gap this long between readings ends a poll cycle. The readings of one cycle arrive
    // back to back (a meter's blocks, then the next meter's), far closer than this.
    static constexpr int64_t kFlushPauseMs = 20;
    int64_t last_evidence_ = 0;
    int64_t last_snapshot_ = 0;
    std::vector<Reading> pending_;
    std::unique_ptr<store::ReadingJournal> journal_;  // pending_, kept where a kill cannot reach
    size_t dropped_ = 0;
    size_t dropped_total_ = 0;  // since the start, for storage_full's details
    size_t dropped_at_full_ = 0;
    WallMs full_since_ = 0;  // 0: the disk is not full
    std::optional<store::StorageNoteFile> note_;
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
    if (auto problems = permission_problems(*loaded, options.config_path); !problems.empty()) {
        for (const auto& p : problems) log::error("permissions: ", p);
        return 2;
    }
    // The data_dir's lock first: nothing in it is touched (a damaged database moved aside)
    // while another agent uses it.
    evidence::AgentSide evidence;
    if (auto r = evidence.start(*loaded); !r) {
        log::error("evidence: ", r.error().message);
        return 1;
    }
    auto opened =
        store::open_checked(db_path(*loaded), store_options(*loaded), kStartCheckBudgetMs);
    if (!opened) {
        log::error("store: ", opened.error().message);
        return 1;
    }
    if (!opened->check_finished)
        log::warning("store: the start check of the database was given up after ", opened->check_ms,
                     " ms; only the durable mark was compared");
    else
        log::info("store: database checked in ", opened->check_ms, " ms");
    log::info("sealwatchd ", SEALWATCH_VERSION, " starting: gateway ", loaded->gateway.id, " site ",
              loaded->gateway.site, ", ", loaded->meters.size(), " meter(s) on ",
              loaded->buses.size(), " bus(es), data in ", db_path(*loaded));
    auto appliance = Appliance::open(*loaded);
    if (!appliance) {
        log::error("board: ", appliance.error().message);
        return 1;
    }
    MainLoop loop(options, std::move(*loaded), std::move(*opened), std::move(evidence),
                  std::move(*appliance), system_clock());
    return loop.run(request);
}

}  // namespace sealwatch::daemon
