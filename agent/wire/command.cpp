#include "wire/command.hpp"

#include "chain/crypto.hpp"
#include "common/text.hpp"
#include "wire/json.hpp"

namespace sealwatch::wire {

using nlohmann::json;

namespace {

// The parsed object, or nullopt for text that is not JSON or not an object. A command is input
// from the network: parse_bounded counts the nesting before the parser recurses (7,000 levels fit
// in 16 KiB and overflowed its stack under ASan) and lets no exception out. The forms here keep
// their members in nlohmann::json (sorted), as CommandBody::args and CommandReply::result hold.
std::optional<json> object_of(std::string_view text) {
    auto j = parse_bounded(text, Limits{});
    if (!j) return std::nullopt;
    return json(*j);
}

const std::string* string_member(const json& j, const char* name) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return nullptr;
    return it->get_ptr<const std::string*>();
}

std::optional<WallMs> time_member(const json& j, const char* name) {
    const auto* s = string_member(j, name);
    if (!s) return std::nullopt;
    return parse_time(*s);
}

}  // namespace

bool valid_nonce(std::string_view nonce) {
    return nonce.size() >= 16 && is_valid_id(nonce);  // the id alphabet, 16 to 64 long
}

std::optional<CommandEnvelope> parse_envelope(std::string_view payload) {
    auto j = object_of(payload);
    if (!j || j->size() != 3) return std::nullopt;
    const auto* key = string_member(*j, "key");
    const auto* sig = string_member(*j, "sig");
    const auto* body = string_member(*j, "body");
    if (!key || !sig || !body) return std::nullopt;
    return CommandEnvelope{*key, *sig, *body};
}

std::string encode_envelope(const CommandEnvelope& envelope) {
    json j = json::object();
    j["key"] = envelope.key;
    j["sig"] = envelope.sig;
    j["body"] = envelope.body;
    return j.dump();
}

std::optional<CommandBody> parse_body(std::string_view text) {
    auto j = object_of(text);
    if (!j) return std::nullopt;
    CommandBody b;
    auto v = j->find("v");
    if (v == j->end() || !v->is_number_integer()) return std::nullopt;
    auto version = v->get<int64_t>();
    if (version < 0 || version > 1000) return std::nullopt;
    b.v = static_cast<int>(version);
    const auto* verb = string_member(*j, "verb");
    const auto* gateway = string_member(*j, "gateway");
    const auto* nonce = string_member(*j, "nonce");
    if (!verb || !gateway || !nonce || !valid_nonce(*nonce)) return std::nullopt;
    b.verb = *verb;
    b.gateway = *gateway;
    b.nonce = *nonce;
    if (auto args = j->find("args"); args != j->end()) {
        if (!args->is_object()) return std::nullopt;
        b.args = *args;
    }
    auto issued = time_member(*j, "issued");
    auto expires = time_member(*j, "expires");
    if (!issued || !expires) return std::nullopt;
    b.issued = *issued;
    b.expires = *expires;
    return b;
}

std::string encode_body(const CommandBody& body) {
    json j = json::object();
    j["v"] = body.v;
    j["verb"] = body.verb;
    j["gateway"] = body.gateway;
    j["args"] = body.args;
    j["issued"] = format_rfc3339(body.issued);
    j["expires"] = format_rfc3339(body.expires);
    j["nonce"] = body.nonce;
    return j.dump();
}

std::optional<std::string> body_nonce(std::string_view text) {
    auto j = object_of(text);
    if (!j) return std::nullopt;
    const auto* nonce = string_member(*j, "nonce");
    if (!nonce || !valid_nonce(*nonce)) return std::nullopt;
    return *nonce;
}

std::string encode_reply(const CommandReply& reply) {
    // ordered: the fields in the contract's order, for people reading mosquitto_sub.
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["nonce"] = reply.nonce ? nlohmann::ordered_json(*reply.nonce) : nullptr;
    j["verb"] = reply.verb;
    j["ok"] = reply.ok;
    j["reason"] = reply.reason;
    j["ts"] = format_rfc3339(reply.ts);
    j["result"] = reply.result;
    return j.dump();
}

std::optional<CommandReply> parse_reply(std::string_view payload) {
    auto j = object_of(payload);
    if (!j) return std::nullopt;
    CommandReply r;
    auto nonce = j->find("nonce");
    if (nonce == j->end()) return std::nullopt;
    if (nonce->is_string()) {
        r.nonce = nonce->get<std::string>();
    } else if (!nonce->is_null()) {
        return std::nullopt;
    }
    const auto* verb = string_member(*j, "verb");
    auto ok = j->find("ok");
    auto ts = time_member(*j, "ts");
    if (!verb || ok == j->end() || !ok->is_boolean() || !ts) return std::nullopt;
    r.verb = *verb;
    r.ok = ok->get<bool>();
    r.ts = *ts;
    if (const auto* reason = string_member(*j, "reason")) r.reason = *reason;
    if (auto result = j->find("result"); result != j->end()) {
        if (!result->is_object()) return std::nullopt;
        r.result = *result;
    }
    return r;
}

std::string encode_export_chunk(const ExportChunk& chunk) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["nonce"] = chunk.nonce;
    j["i"] = chunk.index;
    j["n"] = chunk.count;
    j["file"] = chunk.file;
    j["offset"] = chunk.offset;
    j["size"] = chunk.size;
    j["data"] = chain::base64(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(chunk.data.data()), chunk.data.size()));
    return j.dump();
}

namespace {

// A path inside the bundle's folder: relative, '/'-separated, no empty, "." or ".." level.
bool safe_relative_path(std::string_view path) {
    if (path.empty() || path.size() > 255) return false;
    while (true) {
        auto slash = path.find('/');
        auto level = path.substr(0, slash);
        if (level.empty() || level == "." || level == ".." ||
            level.find('\\') != std::string_view::npos ||
            level.find('\0') != std::string_view::npos)
            return false;
        if (slash == std::string_view::npos) return true;
        path.remove_prefix(slash + 1);
    }
}

std::optional<int64_t> count_member(const json& j, const char* name) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    auto v = it->get<int64_t>();
    if (v < 0) return std::nullopt;
    return v;
}

}  // namespace

std::optional<ExportChunk> parse_export_chunk(std::string_view payload) {
    auto j = object_of(payload);
    if (!j) return std::nullopt;
    ExportChunk c;
    const auto* nonce = string_member(*j, "nonce");
    const auto* file = string_member(*j, "file");
    const auto* data = string_member(*j, "data");
    auto index = count_member(*j, "i");
    auto count = count_member(*j, "n");
    auto offset = count_member(*j, "offset");
    auto size = count_member(*j, "size");
    if (!nonce || !valid_nonce(*nonce) || !file || !safe_relative_path(*file) || !data || !index ||
        !count || !offset || !size || *index >= *count)
        return std::nullopt;
    auto bytes = chain::from_base64(*data);
    if (!bytes || *offset + static_cast<int64_t>(bytes->size()) > *size) return std::nullopt;
    c.nonce = *nonce;
    c.file = *file;
    c.index = *index;
    c.count = *count;
    c.offset = *offset;
    c.size = *size;
    c.data = std::move(*bytes);
    return c;
}

}  // namespace sealwatch::wire
