// The store's side of the evidence trail: chain rows, legal asset states and the set-state
// command queue. The canonical forms and the hashing are in chain/chain.hpp.
#include "chain/crypto.hpp"
#include "store/internal.hpp"
#include "store/store.hpp"
#include "wire/event.hpp"

namespace sealwatch::store {

using namespace internal;

Result<void> Store::load_chain_tip() {
    auto tip = chain_tip();
    if (!tip) return pass(tip);
    if (*tip) {
        chain_n_ = (*tip)->n;
        chain_head_ = (*tip)->head;
    } else {
        auto base = chain_base();
        if (!base) return pass(base);
        chain_n_ = base->first;
        chain_head_ = base->second;
    }
    return {};
}

Result<std::pair<int64_t, chain::Digest>> Store::chain_base() {
    auto st = db_.prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return pass(st);
    st->bind(1, std::string_view(kChainBase));
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return std::pair<int64_t, chain::Digest>{0, chain::kGenesis};
    const std::string text = st->text(0);
    const auto space = text.find(' ');
    chain::Digest head{};
    if (space == std::string::npos ||
        !chain::from_hex(std::string_view(text).substr(space + 1), head))
        return fail("meta " + std::string(kChainBase) + " is unreadable: " + text);
    return std::pair<int64_t, chain::Digest>{std::stoll(text.substr(0, space)), head};
}

Result<std::optional<chain::Digest>> Store::chain_head_at(int64_t n) {
    auto base = chain_base();
    if (!base) return pass(base);
    if (n == base->first) return std::optional<chain::Digest>(base->second);
    auto st = db_.prepare("SELECT head FROM chain WHERE n = ?");
    if (!st) return pass(st);
    st->bind(1, n);
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<chain::Digest>();
    return std::optional<chain::Digest>(digest_of(st->blob(0)));
}

Result<void> Store::continue_from(int64_t chain_n, const chain::Digest& chain_head,
                                  uint64_t next_seq) {
    auto rows = db_.scalar("SELECT (SELECT count(*) FROM chain) + (SELECT count(*) FROM outbox)");
    if (!rows) return pass(rows);
    if (*rows != 0) return fail("continue_from: the database is not empty");
    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return b;
    set_meta_.bind(1, std::string_view(kChainBase))
        .bind(2, std::string_view(std::to_string(chain_n) + " " + chain::hex(chain_head)));
    if (auto r = set_meta_.run(); !r) return r;
    if (auto r = set_meta_int(db_, kNextSeq, static_cast<int64_t>(next_seq)); !r) return r;
    if (auto r = tx.commit(); !r) return r;
    if (auto r = load_chain_tip(); !r) return r;
    if (auto r = load_outbox_marks(); !r) return r;
    made_durable();
    return {};
}

Result<std::optional<ChainEntry>> Store::chain_tip() {
    auto st =
        db_.prepare(std::string("SELECT ") + kChainColumns + " FROM chain ORDER BY n DESC LIMIT 1");
    if (!st) return pass(st);
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<ChainEntry>();
    return std::optional<ChainEntry>(chain_entry(*st));
}

Result<Store::ChainTip> Store::chain_append(chain::EntryKind kind, int64_t first_id,
                                            int64_t last_id, int64_t count, WallMs ts_min,
                                            WallMs ts_max, const chain::Digest& digest,
                                            const ChainTip& after) {
    ChainTip tip{after.n + 1, {}};
    tip.head = chain::link(after.head, tip.n, kind, count, digest);
    auto st = db_.prepare(
        "INSERT INTO chain(n, kind, first_id, last_id, count, ts_min, ts_max, digest, head) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return pass(st);
    st->bind(1, tip.n)
        .bind(2, static_cast<int64_t>(kind))
        .bind(3, first_id)
        .bind(4, last_id)
        .bind(5, count)
        .bind(6, static_cast<int64_t>(ts_min))
        .bind(7, static_cast<int64_t>(ts_max))
        .bind(8, std::span<const uint8_t>(digest))
        .bind(9, std::span<const uint8_t>(tip.head));
    if (auto r = st->run(); !r) return pass(r);
    return tip;
}

Result<int64_t> Store::insert_event(const Event& event, ChainTip& tip) {
    auto body = wire::event_json(event).dump();
    auto st = db_.prepare("INSERT INTO events(ts_ms, body) VALUES(?, ?)");
    if (!st) return pass(st);
    st->bind(1, static_cast<int64_t>(event.ts)).bind(2, std::string_view(body));
    if (auto r = st->run(); !r) return pass(r);
    int64_t id = db_.last_insert_rowid();
    auto next = chain_append(chain::EntryKind::event, id, id, 1, event.ts, event.ts,
                             chain::event_digest(body), tip);
    if (!next) return pass(next);
    tip = *next;
    return id;
}

Result<std::vector<AssetStateRow>> Store::asset_states() {
    auto st = db_.prepare(
        "SELECT asset, state, by_whom, note, since_ms FROM asset_states ORDER BY asset");
    if (!st) return pass(st);
    std::vector<AssetStateRow> out;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        out.push_back({st->text(0), st->text(1), st->text(2), st->text(3), st->int64(4)});
    }
    return out;
}

Result<int64_t> Store::queue_state_command(const StateCommand& c) {
    auto st = db_.prepare(
        "INSERT INTO commands(created_ms, asset, state, by_whom, note) VALUES(?, ?, ?, ?, ?)");
    if (!st) return pass(st);
    st->bind(1, static_cast<int64_t>(c.created_ms))
        .bind(2, std::string_view(c.asset))
        .bind(3, std::string_view(c.state))
        .bind(4, std::string_view(c.by))
        .bind(5, std::string_view(c.note));
    if (auto r = st->run(); !r) return pass(r);
    return db_.last_insert_rowid();
}

namespace {

constexpr const char* kCommandColumns =
    "SELECT id, created_ms, asset, state, by_whom, note, status, message, chain_n FROM "
    "commands ";

StateCommand command_of(const sqlite::Stmt& st) {
    return {st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4),
            st.text(5),  st.text(6),  st.text(7), st.int64(8)};
}

}  // namespace

Result<std::vector<StateCommand>> Store::pending_state_commands() {
    auto st = db_.prepare(std::string(kCommandColumns) + "WHERE status = 'pending' ORDER BY id");
    if (!st) return pass(st);
    std::vector<StateCommand> out;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        out.push_back(command_of(*st));
    }
    return out;
}

Result<std::optional<StateCommand>> Store::state_command(int64_t id) {
    auto st = db_.prepare(std::string(kCommandColumns) + "WHERE id = ?");
    if (!st) return pass(st);
    st->bind(1, id);
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<StateCommand>();
    return std::optional<StateCommand>(command_of(*st));
}

Result<void> Store::apply_state_command(int64_t command_id, const AssetStateRow& row,
                                        std::span<const Event> events) {
    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return b;
    ChainTip tip{chain_n_, chain_head_};
    int64_t state_entry = 0;
    for (const auto& e : events) {
        auto id = insert_event(e, tip);
        if (!id) return pass(id);
        if (e.type == "asset_state_changed") state_entry = tip.n;
    }
    auto up = db_.prepare(
        "INSERT INTO asset_states(asset, state, since_ms, by_whom, note) VALUES(?, ?, ?, ?, ?) "
        "ON CONFLICT(asset) DO UPDATE SET state = excluded.state, since_ms = "
        "excluded.since_ms, "
        "by_whom = excluded.by_whom, note = excluded.note");
    if (!up) return pass(up);
    up->bind(1, std::string_view(row.asset))
        .bind(2, std::string_view(row.state))
        .bind(3, static_cast<int64_t>(row.since_ms))
        .bind(4, std::string_view(row.by))
        .bind(5, std::string_view(row.note));
    if (auto r = up->run(); !r) return r;
    auto done = db_.prepare(
        "UPDATE commands SET status = 'applied', message = ?, chain_n = ?, done_ms = ? "
        "WHERE id = ?");
    if (!done) return pass(done);
    done->bind(1, std::string_view(state_entry ? "" : "already in that state"))
        .bind(2, state_entry)
        .bind(3, static_cast<int64_t>(wall_now_ms()))
        .bind(4, command_id);
    if (auto r = done->run(); !r) return r;
    if (auto c = tx.commit(); !c) return c;
    chain_n_ = tip.n;
    chain_head_ = tip.head;
    return {};
}

Result<void> Store::reject_state_command(int64_t command_id, const std::string& why) {
    auto st = db_.prepare(
        "UPDATE commands SET status = 'rejected', message = ?, done_ms = ? WHERE id = ?");
    if (!st) return pass(st);
    st->bind(1, std::string_view(why))
        .bind(2, static_cast<int64_t>(wall_now_ms()))
        .bind(3, command_id);
    return st->run();
}

}  // namespace sealwatch::store
