#pragma once
// The agent's durable local store (SQLite, WAL): readings, events, the outbox of MQTT messages
// with their seq, per-meter status, metadata, and minute rollups of old raw data.
//
// The outbox is formed lazily: a message gets its seq only when the uplink is ready to send it,
// committed with synchronous=FULL before it leaves, so a seq is never reused after a power cut
// and never skipped when raw data had to be dropped before it was sent. A message's content is
// rebuilt from the rows it names (reading ids, an event id), which stay until it is acknowledged:
// a re-sent seq carries the same content.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "model/event.hpp"
#include "model/reading.hpp"
#include "store/durable_mark.hpp"
#include "store/sqlite.hpp"

namespace sealwatch::store {

struct Options {
    int64_t budget_bytes = 512LL * 1024 * 1024;  // database + WAL
    int raw_retention_days = 90;                 // raw readings older than this become rollups
    int busy_wait_ms = 5000;  // how long a write waits while another process (the agent) writes
    // The durable mark's file (store/durable_mark.hpp), kept up to date after every commit made
    // with synchronous=FULL; empty: none (tools, tests). The agent names data_dir/durable.mark.
    std::string durable_mark_path;
};

enum class MessageKind { telemetry = 1, event = 2, rollup = 3 };

struct OutboxRow {
    uint64_t seq = 0;
    MessageKind kind = MessageKind::telemetry;
    int64_t first = 0;  // first reading / event / rollup row id
    int64_t last = 0;
};

struct Backlog {
    int64_t unsent_readings = 0;  // not yet in any message
    int64_t unsent_events = 0;
    int64_t unsent_rollups = 0;
    int64_t unacked_messages = 0;  // in the outbox, waiting for PUBACK
    uint64_t next_seq = 1;
};

struct MeterStatus {
    std::string meter;
    std::string health;  // "online" | "offline" | "misconfigured" | "unknown"
    WallMs health_since_ms = 0;
    WallMs last_reading_ms = 0;
    std::string serial;
};

struct RetentionReport {
    int64_t readings_rolled_up = 0;  // raw readings replaced by minute rollups
    int64_t unsent_rolled_up = 0;    // of which had never been sent (rollups go out instead)
    int64_t budget_rolled_up = 0;    // of which because of the budget (not their age)
    int64_t bytes_before = 0;
    int64_t bytes_after = 0;
    bool over_budget = false;  // still over after doing all it may (events are never dropped)
};

// One entry of the tamper-evident chain (chain/chain.hpp): a committed readings batch (ids
// first..last, stored in the canonical (ts, meter) order) or one event. Never deleted: when
// retention rolls raw readings up, the entry stays and proves what was there.
struct ChainEntry {
    int64_t n = 0;
    chain::EntryKind kind = chain::EntryKind::readings;
    int64_t first_id = 0, last_id = 0, count = 0;
    WallMs ts_min = 0, ts_max = 0;
    chain::Digest digest{}, head{};
};

// The stretch of the chain that an export covers: every entry touching a period and all
// between them (the chain has no holes).
struct ChainSpan {
    int64_t first_n = 0, last_n = 0;
    chain::Digest head_before{};  // the head of entry first_n - 1; genesis before the first
};

// One stored reading of a chain entry, in the chain's record form. The views in `record` stay
// valid until the reader's next call.
struct ChainRow {
    chain::Record record;
    size_t meter = 0;  // index into ChainReader::meter_names()
};

// Streams a span's entries in order and, for each, the rows it covers that are still stored
// (store/export.cpp): a year's export reads 17 million rows through it, without a join or an
// allocation per row. Reads through the Store it came from, which must outlive it.
class ChainReader {
  public:
    // Meter names by ChainRow::meter (unused indexes hold empty names).
    const std::vector<std::string>& meter_names() const { return meter_names_; }
    Result<std::optional<ChainEntry>> next_entry();
    // The readings of the entry last returned, in id (= chain) order; false after the last.
    // Rows that retention rolled up are simply absent: the caller compares with entry.count.
    Result<bool> next_reading(ChainRow& row);
    // The stored body of the event of the entry last returned; nullopt when it is missing.
    Result<std::optional<std::string>> event_body();

  private:
    friend class Store;
    ChainReader() = default;
    sqlite::Stmt entries_, readings_, events_;
    std::vector<std::string> meter_names_;
    ChainEntry entry_;
    bool reading_pending_ = false, readings_done_ = false;
    std::string serial_;
};

// An asset's legal state as last changed by `sealwatch asset set-state` (overrides the config).
struct AssetStateRow {
    std::string asset, state, by, note;
    WallMs since_ms = 0;
};

// A set-state request queued by the CLI for the agent, applied in id order (legal_state.hpp).
struct StateCommand {
    int64_t id = 0;
    WallMs created_ms = 0;
    std::string asset, state, by, note;
    std::string status;  // "pending" | "applied" | "rejected"
    std::string message;
    int64_t chain_n = 0;  // the asset_state_changed event's chain entry, when applied
};

// A `sealwatch test-alarm` request queued by the CLI for the running agent, which records it as
// a test_alarm event (evidence/test_alarm.hpp). Only the agent takes a pending one; the CLI
// withdraws its own when the agent does not take it in time, so none waits for a later start.
struct TestAlarmRequest {
    int64_t id = 0;
    WallMs created_ms = 0;
    std::string asset, by, note;
    std::string status;  // "pending" | "recorded" | "rejected" | "withdrawn"
    std::string message;
    int64_t chain_n = 0;   // the test_alarm event's chain entry, when recorded
    std::string event_id;  // and its id, as the county office sees it
};

class Store {
  public:
    static Result<Store> open(const std::string& path, const Options& options);
    // Read-only access for the CLI while the daemon runs.
    static Result<Store> open_read_only(const std::string& path);

    // One transaction (and one chain entry) for the batch. A nonzero journal_generation is the
    // reading journal's (store/reading_journal.hpp) that holds these readings: it is recorded
    // in the same transaction, so that a replay after a kill -9 never stores them twice.
    Result<void> append_readings(std::span<const Reading> readings,
                                 uint64_t journal_generation = 0);
    // The last journal generation folded into the store (0: none).
    Result<uint64_t> journal_folded();
    Result<int64_t> append_event(const Event& event);
    Result<void> set_meter_health(const HealthChange& change);

    // Outbox. form_messages forms up to max_messages new messages — events first (one each),
    // then rollups, then telemetry — and deletes the acknowledged seqs, all in ONE transaction,
    // committed with synchronous=FULL when it gave out seqs: one fsync per batch of messages,
    // never a seq handed out that a power cut could take back. Telemetry takes at most
    // max_readings of the oldest unsent readings, but only when there are that many or the
    // oldest is older than flush_before. With nothing to do it writes nothing.
    struct FormLimits {
        size_t max_messages = 1;
        size_t max_readings = 200;
        WallMs flush_before = 0;
        // Whether the acknowledgements are applied even when no message is formed (a commit
        // of their own); if not, they are applied only with new messages.
        bool acks_alone = true;
    };
    Result<std::vector<OutboxRow>> form_messages(const FormLimits& limits,
                                                 std::span<const uint64_t> acked = {});
    // form_messages with a readings batch stored first, in the same transaction (as
    // append_readings would store it): a flush that also gives the batch's telemetry its seq
    // costs one commit, not two. On failure nothing is stored and no seq is given out.
    struct Fold {
        std::span<const Reading> readings;
        uint64_t journal_generation = 0;
    };
    Result<std::vector<OutboxRow>> fold_and_form(const Fold& fold, const FormLimits& limits,
                                                 std::span<const uint64_t> acked = {});
    // One message of one kind (tests, tools); nullopt when there is nothing of that kind.
    Result<std::optional<OutboxRow>> form_event_message();
    Result<std::optional<OutboxRow>> form_rollup_message(size_t max_rows);
    Result<std::optional<OutboxRow>> form_telemetry_message(size_t max_readings,
                                                            WallMs flush_before);
    Result<std::string> payload(const OutboxRow& row);
    Result<std::vector<OutboxRow>> unacked();
    Result<void> acked(std::span<const uint64_t> seqs);

    Result<Backlog> backlog();
    Result<std::vector<MeterStatus>> meter_status();
    // The newest value of `quantity` (an index into kQuantities) among the meter's last five
    // readings; nullopt when none of them has it.
    Result<std::optional<double>> latest_value(const std::string& meter, uint8_t quantity);
    Result<std::vector<Event>> events_between(WallMs from, WallMs to);

    Result<std::optional<std::string>> meta(const std::string& key);
    Result<void> set_meta(const std::string& key, const std::string& value);

    // The chain (store/chain.cpp).
    Result<std::optional<ChainEntry>> chain_tip();
    // What an export reads (store/export.cpp): nullopt when no entry touches [from, to).
    Result<std::optional<ChainSpan>> chain_span(WallMs from, WallMs to);
    Result<ChainReader> read_chain(const ChainSpan& span);
    int64_t chain_length() const { return chain_n_; }
    const chain::Digest& chain_head() const { return chain_head_; }
    // The chain's tip as of the last commit made with synchronous=FULL (or the open): what a
    // power cut cannot take back, so the only head that may be published (P/chain).
    int64_t durable_chain_length() const { return durable_.chain_n; }
    const chain::Digest& durable_chain_head() const { return durable_.chain_head; }
    // Why the durable mark could not be written last time (empty: it was).
    const std::string& durable_mark_error() const { return mark_error_; }

    // A chain that does not start at the genesis: a database started after the last one was
    // found damaged goes on from the last tip known durable (n, head) and from its next seq, so
    // that no chain entry number and no seq is given out twice (store/recovery.hpp). Only on an
    // empty database.
    Result<void> continue_from(int64_t chain_n, const chain::Digest& chain_head, uint64_t next_seq);
    // Where this database's chain starts: (0, genesis) unless it continues another's.
    Result<std::pair<int64_t, chain::Digest>> chain_base();
    // Copies what the agent must not forget (legal states, command nonces, the detector's and
    // the appliance's state) from a damaged database, part by part; says which parts it got
    // (store/recovery.cpp).
    std::vector<std::string> salvage_from(const std::string& damaged_db);
    // The head after entry n (the base's head at the base's n); nullopt when there is no such.
    Result<std::optional<chain::Digest>> chain_head_at(int64_t n);

    // The most serious kind of failed SQLite call since forget_failure() (sqlite.hpp): a full disk
    // or a damaged file call for more than a retry.
    sqlite::Failure worst_failure() const { return db_.worst_failure(); }
    std::string worst_failure_message() const { return db_.worst_failure_message(); }
    void forget_failure() { db_.forget_failure(); }
    // PRAGMA quick_check, given up after budget_ms (then nullopt: not known). Empty problems: ok.
    Result<std::optional<std::vector<std::string>>> quick_check(int64_t budget_ms);

    // Legal states and the set-state command queue (store/chain.cpp).
    Result<std::vector<AssetStateRow>> asset_states();
    Result<int64_t> queue_state_command(const StateCommand& command);
    Result<std::vector<StateCommand>> pending_state_commands();
    Result<std::optional<StateCommand>> state_command(int64_t id);
    // One transaction: the events (chained, in order), the asset's new state, the command done.
    Result<void> apply_state_command(int64_t command_id, const AssetStateRow& row,
                                     std::span<const Event> events);
    Result<void> reject_state_command(int64_t command_id, const std::string& why);

    // `sealwatch test-alarm` requests (store/test_alarms.cpp).
    Result<int64_t> queue_test_alarm(const TestAlarmRequest& request);
    Result<std::vector<TestAlarmRequest>> pending_test_alarms();
    Result<std::optional<TestAlarmRequest>> test_alarm(int64_t id);
    // One transaction: the event chained and the request recorded, only while it is pending
    // (false, and nothing written, when it was withdrawn meanwhile).
    Result<bool> record_test_alarm(int64_t id, const Event& event);
    // Ends a pending request as "rejected" or "withdrawn"; false when it was no longer pending.
    Result<bool> close_test_alarm(int64_t id, std::string_view status, const std::string& why);

    // Nonces of accepted county commands (store/command_nonces.cpp), kept until keep_until so
    // that a replay is refused across restarts; remember_command_nonce commits with
    // synchronous=FULL. forget_command_nonces drops those past their time and says how many.
    Result<bool> command_nonce_seen(std::string_view nonce);
    Result<void> remember_command_nonce(std::string_view nonce, WallMs keep_until);
    Result<int64_t> forget_command_nonces(WallMs now);

    Result<int64_t> size_bytes();
    // The file's page size, as SQLite reported it at the open (fixed for the file's life).
    int page_size() const { return page_size_; }
    Result<RetentionReport> enforce_retention(WallMs now);

  private:
    Store() = default;
    Result<void> prepare_statements();
    Result<int64_t> meter_key(const std::string& meter);
    // Where the outbox stands; kept in memory (this connection is the only writer) and in meta.
    struct OutboxMarks {
        int64_t next_seq = 1;
        int64_t readings = 0;  // last reading id in a message
        int64_t events = 0;
        int64_t rollups = 0;
    };
    enum class Only { any, event, rollup, telemetry };
    Result<void> load_outbox_marks();
    Result<std::vector<OutboxRow>> form(const FormLimits& limits, Only only,
                                        std::span<const uint64_t> acked,
                                        const Fold* fold = nullptr);
    // What form() would give seqs to, after marks (reads only). When readings wait that are
    // not yet due, *waiting_since is the oldest one's time.
    Result<std::vector<OutboxRow>> plan_messages(const FormLimits& limits, Only only,
                                                 OutboxMarks& marks,
                                                 WallMs* waiting_since = nullptr);
    // The last plan that found nothing to form, and what it depended on: until this connection
    // changes a row (it is the only writer) or the waiting readings come due, a plan would
    // find nothing again, so an idle pump (ten a second, and one per acknowledgement) costs no
    // SQLite read at all.
    struct IdlePlan {
        int64_t changes = -1;  // Db::total_changes() when it was made
        size_t max_readings = 0;
        WallMs waiting_since = 0;  // the oldest reading not yet due (INT64_MAX: none waits)
    };
    std::optional<IdlePlan> idle_plan_;

    struct RollUp {
        int64_t after_id = 0;  // readings with id > after_id ...
        int64_t up_to_id = 0;  // ... and id <= up_to_id
        WallMs before_ms = 0;  // ... and ts < before_ms (0: any age)
        int64_t max_rows = 0;
        bool pending = false;  // the rollups go out as telemetry (their raw rows never did)
    };
    Result<int64_t> roll_up(const RollUp& what);  // rows rolled up

    // Appends a chain row inside the caller's transaction; the new tip is taken over by
    // chain_committed() once that transaction has committed.
    struct ChainTip {
        int64_t n = 0;
        chain::Digest head{};
    };
    Result<ChainTip> chain_append(chain::EntryKind kind, int64_t first_id, int64_t last_id,
                                  int64_t count, WallMs ts_min, WallMs ts_max,
                                  const chain::Digest& digest, const ChainTip& after);
    Result<void> load_chain_tip();
    Result<int64_t> insert_event(const Event& event, ChainTip& tip);
    // Stores a readings batch and its chain entry inside the caller's transaction.
    Result<ChainTip> insert_readings(std::span<const Reading> readings,
                                     uint64_t journal_generation);

    std::string path_;
    sqlite::Db db_;
    Options options_;
    int page_size_ = 0;
    std::vector<std::pair<std::string, int64_t>> meter_keys_;
    sqlite::Stmt insert_reading_;
    sqlite::Stmt upsert_meter_seen_;
    OutboxMarks marks_;
    sqlite::Stmt next_event_, next_rollups_, next_readings_, insert_outbox_, delete_outbox_,
        set_meta_;
    int64_t chain_n_ = 0;
    chain::Digest chain_head_{};
    DurableMark durable_;
    std::optional<DurableMarkFile> mark_file_;
    std::string mark_error_;
    void made_durable();  // after a FULL commit (or at open): durable_ and the mark file
};

// The agent's database inside its data_dir: the daemon, the CLI verbs and the local export all
// open this one file.
inline constexpr const char* kDatabaseFile = "sealwatch.db";
std::string database_path(const std::string& data_dir);

// The packed form of a reading's values: (u8 quantity, f64 little-endian) pairs, 9 bytes each.
std::vector<uint8_t> pack_values(std::span<const QuantityValue> values);
std::vector<QuantityValue> unpack_values(std::span<const uint8_t> blob);

}  // namespace sealwatch::store
