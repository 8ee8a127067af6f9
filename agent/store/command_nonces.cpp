// The nonces of accepted county commands (command/verify.hpp): remembered across restarts and
// power cuts, so that a command recorded once is refused as a replay for at least 24 h.
#include "store/internal.hpp"
#include "store/store.hpp"

namespace sealwatch::store {

using internal::pass;

Result<bool> Store::command_nonce_seen(std::string_view nonce) {
    auto st = db_.prepare("SELECT 1 FROM command_nonces WHERE nonce = ?");
    if (!st) return pass(st);
    st->bind(1, nonce);
    return st->step();
}

Result<void> Store::remember_command_nonce(std::string_view nonce, WallMs keep_until) {
    // The command is carried out only after this returns: FULL puts the nonce on stable
    // storage first, or a power cut right after could let the same command in again. Commands
    // are rare, so the fsync costs nothing that matters.
    if (auto r = db_.exec("PRAGMA synchronous = FULL"); !r) return r;
    auto st = db_.prepare(
        "INSERT INTO command_nonces(nonce, keep_until_ms) VALUES(?, ?) "
        "ON CONFLICT(nonce) DO UPDATE SET keep_until_ms = "
        "max(keep_until_ms, excluded.keep_until_ms)");
    Result<void> stored = st ? st->bind(1, nonce).bind(2, keep_until).run() : pass(st);
    auto normal = db_.exec("PRAGMA synchronous = NORMAL");
    if (!stored) return stored;
    return normal;
}

Result<int64_t> Store::forget_command_nonces(WallMs now) {
    auto st = db_.prepare("DELETE FROM command_nonces WHERE keep_until_ms < ?");
    if (!st) return pass(st);
    if (auto r = st->bind(1, now).run(); !r) return pass(r);
    return db_.changes();
}

}  // namespace sealwatch::store
