#pragma once
// The county office's signed commands and the gateway's replies, as they travel (contract,
// "Commands from the county office"; docs/protocol.md):
//
//   P/cmd/<verb>  {"key":"county-1","sig":"<base64 Ed25519 over body's bytes>","body":"<JSON
//   text>"}
//                 body = {"v":1,"verb":…,"gateway":…,"args":{…},"issued":…,"expires":…,"nonce":…}
//   P/cmd/reply   {"nonce":…|null,"verb":…,"ok":…,"reason":…,"ts":…,"result":{…}}
//
// Only the forms live here: parsing is structural (types, the nonce's alphabet, times that
// parse), nothing is trusted or judged. Signatures and the refusal rules are command/verify.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"

namespace sealwatch::wire {

// The whole payload, envelope included.
inline constexpr std::size_t kCommandMaxBytes = std::size_t{16} * 1024;
inline constexpr int kCommandVersion = 1;

// The outer object. `sig` stays base64 text; `body` is kept as the exact bytes that were signed.
struct CommandEnvelope {
    std::string key;
    std::string sig;
    std::string body;
};

struct CommandBody {
    int v = kCommandVersion;
    std::string verb;
    std::string gateway;
    nlohmann::json args = nlohmann::json::object();
    WallMs issued = 0;
    WallMs expires = 0;
    std::string nonce;
};

// [A-Za-z0-9_-]{16,64}
bool valid_nonce(std::string_view nonce);

// An inspector's request (`sealwatch-county request`, verb `inspect`) travels on a USB stick as
// this same envelope, in a file at the stick's root named sealwatch-request*.json.
inline constexpr std::string_view kStickRequestPrefix = "sealwatch-request";
inline constexpr std::string_view kStickRequestSuffix = ".json";
inline bool is_stick_request_name(std::string_view name) {
    return name.size() >= kStickRequestPrefix.size() + kStickRequestSuffix.size() &&
           name.starts_with(kStickRequestPrefix) && name.ends_with(kStickRequestSuffix);
}

// nullopt for anything that is not an object with exactly these three string members (and no
// size check: the caller refuses an oversized payload before parsing it).
std::optional<CommandEnvelope> parse_envelope(std::string_view payload);
std::string encode_envelope(const CommandEnvelope& envelope);

// nullopt for text that is not the body object: a member missing or of the wrong type, `args`
// not an object, a nonce outside its alphabet, a time that does not parse (RFC 3339 or Unix
// seconds). Unknown members are ignored, so a later version may add some.
std::optional<CommandBody> parse_body(std::string_view text);
// Times as RFC 3339 UTC with milliseconds.
std::string encode_body(const CommandBody& body);

// Only the nonce of a body, for a reply to a command that fails later checks: the sender
// matches replies on it. nullopt when the text has no valid one.
std::optional<std::string> body_nonce(std::string_view text);

struct CommandReply {
    std::optional<std::string> nonce;  // null when the payload was too broken to have one
    std::string verb;
    bool ok = false;
    std::string reason;  // empty when ok
    WallMs ts = 0;
    nlohmann::json result = nlohmann::json::object();
};

std::string encode_reply(const CommandReply& reply);
std::optional<CommandReply> parse_reply(std::string_view payload);

// One piece of an exported bundle on P/cmd/export/<nonce> (docs/protocol.md, "Export chunks"):
// {"nonce":…,"i":0,"n":12,"file":"readings.csv","offset":0,"size":123456,"data":"<base64>"}
// Chunks i = 0..n-1 cover every file of the bundle in turn; `size` is the whole file's, so a
// file of 0 bytes is one chunk with empty data. Reassembly: write `data` at `offset` of `file`.
inline constexpr std::size_t kExportChunkBytes = std::size_t{48} * 1024;  // raw bytes per chunk

struct ExportChunk {
    std::string nonce;
    int64_t index = 0, count = 0;
    std::string
        file;  // relative path with '/' ("context/readings.csv"); never "..", never absolute
    int64_t offset = 0, size = 0;
    std::string data;  // raw bytes
};

std::string encode_export_chunk(const ExportChunk& chunk);
// nullopt for a malformed chunk, or one whose file would leave the bundle's folder.
std::optional<ExportChunk> parse_export_chunk(std::string_view payload);

}  // namespace sealwatch::wire
