#include "county/web/auth.hpp"

#include <sodium.h>

#include "chain/crypto.hpp"

namespace sealwatch::county::web {

namespace {

constexpr MonoNs kFailurePauseNs = 1'000'000'000;
constexpr size_t kMaxAccepted = 64;  // distinct good headers remembered (a few browsers)

bool sodium_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

// "user:password" from "Basic <base64>", or nullopt.
std::optional<std::string> basic_credentials(std::string_view header) {
    constexpr std::string_view kScheme = "Basic ";
    if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme)
        return std::nullopt;
    return chain::from_base64(header.substr(kScheme.size()));
}

}  // namespace

BasicAuth::BasicAuth(std::string username, std::string password_hash, const Clock& clock)
    : username_(std::move(username)), hash_(std::move(password_hash)), clock_(clock) {}

BasicAuth::Verdict BasicAuth::check(std::string_view authorization) {
    if (open()) return Verdict::ok;
    if (authorization.empty()) return Verdict::wrong;
    const std::string digest = chain::hex(chain::sha256(authorization));
    std::lock_guard lock(mutex_);
    if (accepted_.contains(digest)) return Verdict::ok;
    if (failed_once_ && clock_.mono_ns() - last_failure_ < kFailurePauseNs) return Verdict::busy;
    auto credentials = basic_credentials(authorization);
    bool good = false;
    if (credentials && sodium_ready()) {
        const auto colon = credentials->find(':');
        if (colon != std::string::npos && credentials->substr(0, colon) == username_) {
            const std::string_view password = std::string_view(*credentials).substr(colon + 1);
            good = crypto_pwhash_str_verify(hash_.c_str(), password.data(), password.size()) == 0;
            sodium_memzero(credentials->data(), credentials->size());
        }
    }
    if (!good) {
        // From the end of the check: a slow check (a loaded machine) must not eat the pause.
        failed_once_ = true;
        last_failure_ = clock_.mono_ns();
        return Verdict::wrong;
    }
    if (accepted_.size() >= kMaxAccepted) accepted_.clear();
    accepted_.insert(digest);
    return Verdict::ok;
}

std::optional<std::string> hash_password(std::string_view password) {
    if (!sodium_ready()) return std::nullopt;
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return std::nullopt;
    return std::string(out);
}

}  // namespace sealwatch::county::web
