#include "wire/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace sealwatch::wire {

void append_json_number(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

namespace {

// The deepest nesting of objects and arrays, strings skipped; stops counting past `limit`.
int nesting(std::string_view text, int limit) {
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

Result<nlohmann::ordered_json> parse_bounded(std::string_view payload, const Limits& limits) {
    if (payload.size() > limits.max_bytes)
        return fail("payload of " + std::to_string(payload.size()) + " bytes, more than " +
                    std::to_string(limits.max_bytes));
    // JSON text holds no raw NUL, and nlohmann's parser would stop at one and accept what came
    // before: "{…}\0anything" must not pass for "{…}".
    if (payload.find('\0') != std::string_view::npos) return fail("a NUL byte in the payload");
    if (nesting(payload, limits.max_depth) > limits.max_depth)
        return fail("nested deeper than " + std::to_string(limits.max_depth) + " levels");
    try {
        auto j = nlohmann::ordered_json::parse(payload, nullptr, false);
        if (j.is_discarded()) return fail("not JSON");
        if (!j.is_object()) return fail("not a JSON object");
        return j;
    } catch (const std::exception& e) {  // bad_alloc; the parser itself was told not to throw
        return fail(std::string("unreadable: ") + e.what());
    }
}

Result<const nlohmann::ordered_json*> Fields::member(const char* name) const {
    auto it = j_.find(name);
    if (it == j_.end()) return fail(std::string(name) + ": missing");
    return &*it;
}

bool Fields::has(const char* name) const {
    return j_.contains(name);
}

Result<std::string> Fields::text(const char* name, bool may_be_empty) const {
    auto m = member(name);
    if (!m) return tl::unexpected(m.error());
    const auto* s = (*m)->get_ptr<const std::string*>();
    if (!s) return fail(std::string(name) + ": not a string");
    if (s->empty() && !may_be_empty) return fail(std::string(name) + ": empty");
    if (s->size() > limits_.max_text)
        return fail(std::string(name) + ": longer than " + std::to_string(limits_.max_text));
    return *s;
}

Result<bool> Fields::flag(const char* name) const {
    auto m = member(name);
    if (!m) return tl::unexpected(m.error());
    if (!(*m)->is_boolean()) return fail(std::string(name) + ": not true or false");
    return (*m)->get<bool>();
}

Result<int64_t> Fields::whole(const char* name, int64_t min, int64_t max) const {
    auto m = member(name);
    if (!m) return tl::unexpected(m.error());
    const auto& v = **m;
    int64_t out = 0;
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return fail(std::string(name) + ": out of range");
        out = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
        out = v.get<int64_t>();
    } else {
        return fail(std::string(name) + ": not a whole number");
    }
    if (out < min || out > max) return fail(std::string(name) + ": out of range");
    return out;
}

Result<WallMs> Fields::time(const char* name) const {
    auto t = text(name);
    if (!t) return tl::unexpected(t.error());
    auto ms = parse_time(*t);
    if (!ms) return fail(std::string(name) + ": not an RFC 3339 time");
    return *ms;
}

Result<double> Fields::number(const char* name) const {
    auto m = member(name);
    if (!m) return tl::unexpected(m.error());
    if ((*m)->is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!(*m)->is_number()) return fail(std::string(name) + ": not a number");
    return (*m)->get<double>();
}

Result<const nlohmann::ordered_json*> Fields::array(const char* name) const {
    auto m = member(name);
    if (!m) return tl::unexpected(m.error());
    if (!(*m)->is_array()) return fail(std::string(name) + ": not an array");
    return *m;
}

Result<const nlohmann::ordered_json*> Fields::object(const char* name) const {
    auto m = member(name);
    if (!m) return tl::unexpected(m.error());
    if (!(*m)->is_object()) return fail(std::string(name) + ": not an object");
    return *m;
}

}  // namespace sealwatch::wire
