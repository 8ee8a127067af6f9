// `sealwatch test-alarm` requests: queued by the CLI, recorded by the running agent as a chained
// test_alarm event, or ended by whoever finds them no longer wanted (evidence/test_alarm.hpp).
// Every change of status is conditional on `pending`, so the CLI withdrawing a request and the
// agent recording it cannot both win.
#include "store/internal.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

using internal::pass;

namespace {

constexpr const char* kRequestColumns =
    "SELECT id, created_ms, asset, by_whom, note, status, message, chain_n, event_id FROM "
    "test_alarms ";

TestAlarmRequest request_of(const sqlite::Stmt& st) {
    return {st.int64(0), st.int64(1), st.text(2),  st.text(3), st.text(4),
            st.text(5),  st.text(6),  st.int64(7), st.text(8)};
}

}  // namespace

Result<int64_t> Store::queue_test_alarm(const TestAlarmRequest& request) {
    auto st =
        db_.prepare("INSERT INTO test_alarms(created_ms, asset, by_whom, note) VALUES(?, ?, ?, ?)");
    if (!st) return pass(st);
    st->bind(1, static_cast<int64_t>(request.created_ms))
        .bind(2, std::string_view(request.asset))
        .bind(3, std::string_view(request.by))
        .bind(4, std::string_view(request.note));
    if (auto r = st->run(); !r) return pass(r);
    return db_.last_insert_rowid();
}

Result<std::vector<TestAlarmRequest>> Store::pending_test_alarms() {
    auto st = db_.prepare(std::string(kRequestColumns) + "WHERE status = 'pending' ORDER BY id");
    if (!st) return pass(st);
    std::vector<TestAlarmRequest> out;
    while (true) {
        auto row = st->step();
        if (!row) return pass(row);
        if (!*row) break;
        out.push_back(request_of(*st));
    }
    return out;
}

Result<std::optional<TestAlarmRequest>> Store::test_alarm(int64_t id) {
    auto st = db_.prepare(std::string(kRequestColumns) + "WHERE id = ?");
    if (!st) return pass(st);
    st->bind(1, id);
    auto row = st->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<TestAlarmRequest>();
    return std::optional<TestAlarmRequest>(request_of(*st));
}

Result<bool> Store::record_test_alarm(int64_t id, const Event& event) {
    sqlite::Transaction tx(db_);
    if (auto b = tx.begun(); !b) return pass(b);
    ChainTip tip{chain_n_, chain_head_};
    // Claimed first: a request withdrawn meanwhile leaves nothing behind (the transaction rolls
    // back when it goes out of scope uncommitted).
    auto claim = db_.prepare(
        "UPDATE test_alarms SET status = 'recorded', event_id = ?, done_ms = ? "
        "WHERE id = ? AND status = 'pending'");
    if (!claim) return pass(claim);
    claim->bind(1, std::string_view(event.id))
        .bind(2, static_cast<int64_t>(wall_now_ms()))
        .bind(3, id);
    if (auto r = claim->run(); !r) return pass(r);
    if (db_.changes() == 0) return false;
    if (auto e = insert_event(event, tip); !e) return pass(e);
    auto entry = db_.prepare("UPDATE test_alarms SET chain_n = ? WHERE id = ?");
    if (!entry) return pass(entry);
    if (auto r = entry->bind(1, tip.n).bind(2, id).run(); !r) return pass(r);
    if (auto c = tx.commit(); !c) return pass(c);
    chain_n_ = tip.n;
    chain_head_ = tip.head;
    return true;
}

Result<bool> Store::close_test_alarm(int64_t id, std::string_view status, const std::string& why) {
    auto st = db_.prepare(
        "UPDATE test_alarms SET status = ?, message = ?, done_ms = ? "
        "WHERE id = ? AND status = 'pending'");
    if (!st) return pass(st);
    st->bind(1, status)
        .bind(2, std::string_view(why))
        .bind(3, static_cast<int64_t>(wall_now_ms()))
        .bind(4, id);
    if (auto r = st->run(); !r) return pass(r);
    return db_.changes() > 0;
}

}  // namespace sealwatch::store
