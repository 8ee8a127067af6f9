#pragma once
// Who may read the bureau's page: HTTP Basic against [web] username and password_hash
// (docs/county.md, "The web page"). The config holds an Argon2id hash (libsodium's string
// form), never the password: the config file is readable by every operator in group sealwatch,
// and a leaked hash costs an attacker a slow, memory-hard search per guess.
//
// Argon2id is slow on purpose (about 64 MiB and a tenth of a second per check), so:
// - a header that passed once is remembered (its SHA-256, in memory) and later requests with
//   it cost a hash, not an Argon2id run: a browser sends the same header with every request;
// - at most one unknown header is checked at a time, and for one second after a failed check
//   ended other unknown headers are turned away (`busy`, HTTP 429) without being checked, so a
//   flood of guesses costs one check a second and cannot take the machine's memory. A browser that
//   has logged in already is not affected.
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace sealwatch::county::web {

class BasicAuth {
  public:
    enum class Verdict { ok, wrong, busy };

    // An empty hash admits everyone (a page on loopback without a password). `clock`'s
    // monotonic time measures the pause after a failure (a test moves it by hand).
    BasicAuth(std::string username, std::string password_hash, const Clock& clock = system_clock());

    bool open() const { return hash_.empty(); }
    // `authorization`: the request's Authorization header, empty when it has none.
    Verdict check(std::string_view authorization);

  private:
    std::string username_, hash_;
    const Clock& clock_;
    std::mutex mutex_;
    std::set<std::string> accepted_;  // SHA-256 (hex) of headers that passed
    MonoNs last_failure_ = 0;
    bool failed_once_ = false;
};

// The Argon2id string of `password` (libsodium's interactive limits), for
// `sealwatch-county web-password`; nullopt when libsodium cannot run.
std::optional<std::string> hash_password(std::string_view password);

}  // namespace sealwatch::county::web
