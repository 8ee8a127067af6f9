#pragma once
// The cryptography of the evidence trail, over OpenSSL: SHA-256 (streamed; OpenSSL uses the CPU's
// SHA instructions where there are some, ARMv8 included) and Ed25519 signatures with the
// gateway's key. Keys live in the data_dir as PEM: gateway.key (PKCS#8, mode 0600) and
// gateway.pub (SubjectPublicKeyInfo), readable by `openssl pkey` too.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace sealwatch::chain {

using Digest = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;  // raw Ed25519
using Signature = std::array<uint8_t, 64>;

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::string_view bytes);
    void update(std::span<const uint8_t> bytes);
    Digest finish();  // and starts over

  private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

Digest sha256(std::string_view bytes);

std::string hex(std::span<const uint8_t> bytes);
// false when `text` is not exactly out.size() bytes of hex.
bool from_hex(std::string_view text, std::span<uint8_t> out);
std::string base64(std::span<const uint8_t> bytes);
bool from_base64(std::string_view text, std::span<uint8_t> out);  // exact length required
std::optional<std::string> from_base64(std::string_view text);    // any length

// A short form to read aloud and compare: the first 16 bytes of SHA-256(public key) in hex,
// in groups of four ("3f2a 91c0 ..."), 39 characters.
std::string fingerprint(const PublicKey& key);

class SigningKey {
  public:
    SigningKey();
    ~SigningKey();
    SigningKey(SigningKey&&) noexcept;
    SigningKey& operator=(SigningKey&&) noexcept;

    static Result<SigningKey> generate();
    static Result<SigningKey> load_pem(const std::string& path);
    Result<void> save_pem(const std::string& key_path, const std::string& pub_path) const;

    const PublicKey& public_key() const { return public_; }
    Result<Signature> sign(std::string_view message) const;

  private:
    struct Pkey;
    std::unique_ptr<Pkey> pkey_;
    PublicKey public_{};
};

bool verify_signature(const PublicKey& key, std::string_view message, const Signature& sig);

// A public key from a file: gateway.pub (PEM) or one line of base64 of the raw 32 bytes.
Result<PublicKey> load_public_key(const std::string& path);
std::string public_key_pem(const PublicKey& key);

// The gateway key in data_dir: loaded, or created (0600) when there is none. Idempotent; what
// `sealwatchd --init-key` and the agent's start call. Never overwrites an existing key; a key
// file that cannot be read is an error, not a reason to make a new one.
struct GatewayKey {
    SigningKey key;
    bool created = false;
    std::string key_path, pub_path;
};
Result<GatewayKey> load_or_create_gateway_key(const std::string& data_dir);
// Paths only, for read-only users (status, export).
std::string gateway_key_path(const std::string& data_dir);
std::string gateway_pub_path(const std::string& data_dir);

}  // namespace sealwatch::chain
