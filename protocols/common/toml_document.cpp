#include "common/toml_document.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace sealwatch {

namespace {

std::string too_large() {
    return "larger than " + std::to_string(kMaxTomlBytes) +
           " bytes, the most a TOML file may have here; not read";
}

// Measures nesting on the raw text, without building anything: each segment of a [header] or
// of a dotted key, and each open [ or { of a value, is one level. Strings and comments are
// skipped so that a '.' or '[' inside them does not count; dots in values (floats, dates) do not
// count either. Returns the first line where the depth exceeds `limit`. Text that is not valid
// TOML is measured as well as it goes; toml++ reports what is wrong with it afterwards.
std::optional<unsigned> first_line_too_deep(std::string_view text, unsigned limit) {
    struct Frame {
        bool inline_table;      // '{' (its keys add levels) or '[' (an array)
        unsigned key_segments;  // of the key being read inside an inline table
    };
    std::vector<Frame> frames;
    unsigned line = 1;
    unsigned header = 0;       // levels of the current [table] header
    unsigned top_key = 0;      // segments of the top-level key being read
    bool in_key = true;        // reading a key (not a value)
    bool key_started = false;  // the current key has its first segment
    auto depth = [&] {
        unsigned d = header + top_key;
        for (const auto& f : frames) d += 1 + f.key_segments;
        return d;
    };
    auto key_segments = [&]() -> unsigned& {
        return frames.empty() ? top_key : frames.back().key_segments;
    };
    auto start_key = [&] {
        in_key = true;
        key_started = false;
        key_segments() = 0;
    };
    // Skips a string starting at i; leaves i on its last character.
    auto skip_string = [&](size_t& i) {
        const char quote = text[i];
        const bool basic = quote == '"';
        const std::string_view triple = basic ? R"(""")" : "'''";
        const bool multi = text.substr(i, 3) == triple;
        i += multi ? 3 : 1;
        for (; i < text.size(); ++i) {
            const char c = text[i];
            if (c == '\n') {
                ++line;
                if (!multi) return;  // unterminated; toml++ says so
            } else if (basic && c == '\\') {
                ++i;
                if (i < text.size() && text[i] == '\n') ++line;
            } else if (c == quote && (!multi || text.substr(i, 3) == triple)) {
                // A multi-line string may end in up to two more quotes ("""a"""").
                if (multi) {
                    i += 2;
                    while (i + 1 < text.size() && text[i + 1] == quote) ++i;
                }
                return;
            }
        }
    };

    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            if (frames.empty()) start_key();
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') continue;
        if (c == '#') {
            while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
            continue;
        }
        if (in_key && frames.empty() && !key_started && c == '[') {
            // A [table] or [[array of tables]] header: its segments, plus the array's level.
            header = 1;
            if (i + 1 < text.size() && text[i + 1] == '[') {
                ++header;
                ++i;
            }
            for (++i; i < text.size() && text[i] != ']' && text[i] != '\n'; ++i) {
                if (text[i] == '"' || text[i] == '\'')
                    skip_string(i);
                else if (text[i] == '.')
                    ++header;
                if (header > limit) return line;
            }
            if (i < text.size() && text[i] == '\n') --i;  // let the loop count the line
            in_key = false;                               // the rest of the line is no key
            continue;
        }
        bool deeper = false;  // only then is the depth measured again
        if (c == '"' || c == '\'') {
            if (in_key && !key_started) {
                key_started = deeper = true;
                key_segments() = 1;
            }
            skip_string(i);
        } else if (in_key) {
            if (c == '.') {
                ++key_segments();
                deeper = true;
            } else if (c == '=') {
                in_key = false;
            } else if (c == '}' && !frames.empty()) {  // an empty inline table
                frames.pop_back();
                in_key = false;
            } else if (!key_started) {
                key_started = deeper = true;
                key_segments() = 1;
            }
        } else if (c == '[' || c == '{') {
            frames.push_back(Frame{c == '{', 0});
            if (c == '{') start_key();
            deeper = true;
        } else if ((c == ']' || c == '}') && !frames.empty()) {
            frames.pop_back();
        } else if (c == ',' && !frames.empty() && frames.back().inline_table) {
            start_key();
        }
        if (deeper && depth() > limit) return line;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> read_toml_file(const std::string& path, ProblemLog& log) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        log.add(0, std::string("cannot open the file: ") + std::strerror(errno));
        return std::nullopt;
    }
    std::string text;
    char buf[65536];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
        text.append(buf, n);
        if (text.size() > kMaxTomlBytes) {
            log.add(0, too_large());
            return std::nullopt;
        }
    }
    if (std::ferror(f.get())) {
        log.add(0, std::string("cannot read the file: ") + std::strerror(errno));
        return std::nullopt;
    }
    return text;
}

std::optional<toml::table> parse_toml(std::string_view text, ProblemLog& log) {
    if (text.size() > kMaxTomlBytes) {
        log.add(0, too_large());
        return std::nullopt;
    }
    if (auto line = first_line_too_deep(text, kMaxTomlDepth)) {
        log.add(*line, "nested more than " + std::to_string(kMaxTomlDepth) +
                           " levels deep (tables, arrays and dotted keys); not read");
        return std::nullopt;
    }
#if TOML_EXCEPTIONS
    try {
        return toml::parse(text, log.file());
    } catch (const toml::parse_error& err) {
        log.add(static_cast<unsigned>(err.source().begin.line), err.description());
        return std::nullopt;
    }
#else
    toml::parse_result parsed = toml::parse(text, log.file());
    if (!parsed) {
        log.add(static_cast<unsigned>(parsed.error().source().begin.line),
                parsed.error().description());
        return std::nullopt;
    }
    return std::move(parsed).table();
#endif
}

}  // namespace sealwatch
