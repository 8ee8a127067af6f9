#include "chain/crypto.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <unistd.h>

namespace sealwatch::chain {

namespace {

std::string ssl_error(const std::string& what) {
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return what + (buf[0] ? std::string(": ") + buf : std::string());
}

struct BioDeleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(path + ": " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

// ---- SHA-256 ----

struct Sha256::Ctx {
    EVP_MD_CTX* md = nullptr;
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
    ctx_->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
    EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}
void Sha256::update(std::span<const uint8_t> bytes) {
    EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}

Digest Sha256::finish() {
    Digest d{};
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_->md, d.data(), &n);
    EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
    return d;
}

Digest sha256(std::string_view bytes) {
    Digest d{};
    unsigned int n = 0;
    EVP_Digest(bytes.data(), bytes.size(), d.data(), &n, EVP_sha256(), nullptr);
    return d;
}

// ---- encodings ----

std::string hex(std::span<const uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out(bytes.size() * 2, '0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    return out;
}

bool from_hex(std::string_view text, std::span<uint8_t> out) {
    if (text.size() != out.size() * 2) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return true;
}

std::string base64(std::span<const uint8_t> bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::optional<std::string> from_base64(std::string_view text) {
    if (text.size() % 4 != 0 || text.size() > (1u << 30)) return std::nullopt;
    std::string buf(text.size() / 4 * 3 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    auto len = static_cast<size_t>(n);
    // EVP_DecodeBlock counts the padding as zero bytes.
    if (!text.empty() && text.back() == '=') --len;
    if (text.size() > 1 && text[text.size() - 2] == '=') --len;
    buf.resize(len);
    return buf;
}

bool from_base64(std::string_view text, std::span<uint8_t> out) {
    if (text.size() > 4096) return false;
    auto bytes = from_base64(text);
    if (!bytes || bytes->size() != out.size()) return false;
    std::memcpy(out.data(), bytes->data(), bytes->size());
    return true;
}

std::string fingerprint(const PublicKey& key) {
    auto d = sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    std::string h = hex(std::span<const uint8_t>(d.data(), 16));
    std::string out;
    for (size_t i = 0; i < h.size(); i += 4) {
        if (!out.empty()) out += ' ';
        out += h.substr(i, 4);
    }
    return out;
}

// ---- Ed25519 ----

struct SigningKey::Pkey {
    EVP_PKEY* p = nullptr;
    ~Pkey() { EVP_PKEY_free(p); }
};

SigningKey::SigningKey() = default;
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

namespace {

Result<PublicKey> raw_public(EVP_PKEY* p) {
    PublicKey pub{};
    size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(p, pub.data(), &len) != 1 || len != pub.size())
        return fail(ssl_error("not an Ed25519 key"));
    return pub;
}

}  // namespace

Result<SigningKey> SigningKey::generate() {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    if (!ctx) return fail(ssl_error("Ed25519 unavailable"));
    EVP_PKEY* p = nullptr;
    bool ok = EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &p) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return fail(ssl_error("cannot generate an Ed25519 key"));
    SigningKey k;
    k.pkey_ = std::make_unique<Pkey>();
    k.pkey_->p = p;
    auto pub = raw_public(p);
    if (!pub) return tl::unexpected(pub.error());
    k.public_ = *pub;
    return k;
}

Result<SigningKey> SigningKey::load_pem(const std::string& path) {
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
    EVP_PKEY* p = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!p) return fail(ssl_error(path + ": not a PEM private key"));
    SigningKey k;
    k.pkey_ = std::make_unique<Pkey>();
    k.pkey_->p = p;
    if (EVP_PKEY_get_base_id(p) != EVP_PKEY_ED25519) return fail(path + ": not an Ed25519 key");
    auto pub = raw_public(p);
    if (!pub) return tl::unexpected(pub.error());
    k.public_ = *pub;
    return k;
}

namespace {

// Written beside the target and renamed, created with `mode` from the start (no window in which
// a private key is world-readable).
Result<void> write_atomically(const std::string& path, const std::string& data, mode_t mode,
                              bool keep_existing = false) {
    std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail(tmp + ": " + std::strerror(errno));
    bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
              ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
    int err = errno;
    ::close(fd);
    // keep_existing: link() fails if the target exists, so a concurrent first start keeps one key.
    if (!ok || (keep_existing ? ::link(tmp.c_str(), path.c_str())
                              : ::rename(tmp.c_str(), path.c_str())) != 0) {
        if (ok) err = errno;
        ::unlink(tmp.c_str());
        return fail(path + ": " + std::strerror(err));
    }
    if (keep_existing) ::unlink(tmp.c_str());
    return {};
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<void> SigningKey::save_pem(const std::string& key_path, const std::string& pub_path) const {
    BioPtr priv(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(priv.get(), pkey_->p, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return fail(ssl_error("cannot encode the private key"));
    if (auto r = write_atomically(key_path, bio_text(priv.get()), 0600, true); !r) return r;
    return write_atomically(pub_path, public_key_pem(public_), 0644);
}

Result<Signature> SigningKey::sign(std::string_view message) const {
    if (!pkey_) return fail("no signing key");
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Signature sig{};
    size_t len = sig.size();
    bool ok =
        EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey_->p) == 1 &&
        EVP_DigestSign(ctx, sig.data(), &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != sig.size()) return fail(ssl_error("signing failed"));
    return sig;
}

bool verify_signature(const PublicKey& key, std::string_view message, const Signature& sig) {
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
    if (!p) {
        ERR_clear_error();
        return false;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, p) == 1 &&
              EVP_DigestVerify(ctx, sig.data(), sig.size(),
                               reinterpret_cast<const unsigned char*>(message.data()),
                               message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(p);
    ERR_clear_error();
    return ok;
}

std::string public_key_pem(const PublicKey& key) {
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
    if (!p) return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), p);
    EVP_PKEY_free(p);
    return bio_text(bio.get());
}

Result<PublicKey> load_public_key(const std::string& path) {
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    if (text->find("-----BEGIN") != std::string::npos) {
        BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
        EVP_PKEY* p = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
        if (!p) return fail(ssl_error(path + ": not a PEM public key"));
        auto pub = raw_public(p);
        EVP_PKEY_free(p);
        if (!pub) return fail(path + ": " + pub.error().message);
        return pub;
    }
    std::string line = *text;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    PublicKey pub{};
    if (!from_base64(line, pub))
        return fail(path + ": neither a PEM public key nor base64 of a raw Ed25519 key");
    return pub;
}

std::string gateway_key_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "gateway.key").string();
}
std::string gateway_pub_path(const std::string& data_dir) {
    return (std::filesystem::path(data_dir) / "gateway.pub").string();
}

Result<GatewayKey> load_or_create_gateway_key(const std::string& data_dir) {
    GatewayKey g;
    g.key_path = gateway_key_path(data_dir);
    g.pub_path = gateway_pub_path(data_dir);
    std::error_code ec;
    if (std::filesystem::exists(g.key_path, ec)) {
        struct stat st {};
        if (::stat(g.key_path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%03o", st.st_mode & 0777);
            return fail(g.key_path + ": mode " + mode +
                        ", others may read the private key; chmod 600 it");
        }
        auto k = SigningKey::load_pem(g.key_path);
        if (!k) return tl::unexpected(k.error());
        g.key = std::move(*k);
        // The public half is derived: rewrite it if it is missing or does not match.
        auto pub = load_public_key(g.pub_path);
        if (!pub || *pub != g.key.public_key()) {
            if (auto r = write_atomically(g.pub_path, public_key_pem(g.key.public_key()), 0644); !r)
                return tl::unexpected(r.error());
        }
        return g;
    }
    std::filesystem::create_directories(data_dir, ec);
    auto k = SigningKey::generate();
    if (!k) return tl::unexpected(k.error());
    if (auto r = k->save_pem(g.key_path, g.pub_path); !r) return tl::unexpected(r.error());
    g.key = std::move(*k);
    g.created = true;
    return g;
}

}  // namespace sealwatch::chain
