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

struct TextProblem {
    unsigned line;
    std::string message;
};

// TOML allows no raw control character but tab, LF and CR, in strings and comments alike.
// Refused here because toml++ 3.3 asserts (parse_key) on one right after a header's '['.
std::optional<TextProblem> first_control_character(std::string_view text) {
    unsigned line = 1;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') ++line;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", c);
            return TextProblem{line, std::string("control character ") + hex +
                                         " (TOML allows none but tab and line ends); not read"};
        }
    }
    return std::nullopt;
}

bool bare_key_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// What a value outside a string may hold: numbers (hex, octal, binary, exponents, inf, nan,
// signs, underscores), booleans, dates and times.
bool bare_value_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '+' || c == '-' || c == '.' || c == ':';
}

// Whether `text` starts with `shape`, where '0' stands for any decimal digit and 'T' for a
// date-time's separator ('T', 't' or one space, RFC 3339 section 5.6).
bool starts_with_shape(std::string_view text, std::string_view shape) {
    if (text.size() < shape.size()) return false;
    for (size_t k = 0; k < shape.size(); ++k) {
        const char c = text[k];
        if (shape[k] == '0'   ? !(c >= '0' && c <= '9')
            : shape[k] == 'T' ? !(c == 'T' || c == 't' || c == ' ')
                              : c != shape[k])
            return false;
    }
    return true;
}

// How a bare value with a date and a time starts: a full date, a separator and a two-digit hour
// with its ':' (`1979-05-27 07:32:00Z`); what follows the ':' toml++ checks itself. toml++ 3.3
// asserts on two near misses, so the scan asks this of every value that gets that far:
// - once it reads a date and a 'T' or 't', it asserts (parse_time) unless a digit follows
//   (`1979-05-27T:`);
// - it reads any date-shaped word, one space and a digit as a date-time, and asserts
//   (parse_value) when the value ends right after that digit (`7247-07-7- 2#`,
//   `1979-05-27 0,`). That space is the only one TOML allows in a bare value: any other between
//   two bare words of one value (`1 2`, `true false`, two spaces, a tab) is invalid TOML too.
constexpr std::string_view kDateShape = "0000-00-00";
constexpr std::string_view kDateTimeShape = "0000-00-00T00:";

// One pass over the raw text, without building anything, for what toml++ must not see:
// - nesting: each segment of a [header] or of a dotted key, and each open [ or { of a value, is
//   one level; deeper than `limit` is refused (toml++ recurses once per level);
// - a non-ASCII byte outside strings and comments (TOML keys and values are ASCII there):
//   toml++ 3.3 reaches __builtin_unreachable() classifying one as a key character;
// - a [header] whose first character is no key (`[!`, `[[[`, `[` then a line end): toml++ 3.3
//   asserts in parse_key;
// - in a value outside strings, a character no number, date or boolean has, or a '[' or '{'
//   that starts no value: toml++ 3.3 scans such a bare value into an assert or the above;
// - a space inside a bare value other than a date-time's, and a date-time without its hour
//   (kDateTimeShape).
// Strings and comments are skipped so that a '.' or '[' inside them does not count; dots in
// values (floats, dates) do not count either. Text that is not valid TOML in other ways is
// scanned as well as it goes; toml++ reports what is wrong with it afterwards.
std::optional<TextProblem> first_structure_problem(std::string_view text, unsigned limit) {
    const auto too_deep = [limit](unsigned line) {
        return TextProblem{line, "nested more than " + std::to_string(limit) +
                                     " levels deep (tables, arrays and dotted keys); not read"};
    };
    const auto non_ascii = [](unsigned line) {
        return TextProblem{line,
                           "a non-ASCII character outside a string or comment (keys with "
                           "other letters must be quoted); not read"};
    };
    // A string starts a key segment or a value; a quote anywhere else (`1'…'`, `a"b"`, after a
    // second '=') is invalid TOML that toml++ reads as a bare word, past what this scan takes for
    // a string's end, into the non-ASCII text that trips it (above).
    const auto misplaced_quote = [](unsigned line) {
        return TextProblem{line, "a quote that starts no key and no value; not read"};
    };
    const auto bad_escape = [](unsigned line) {
        return TextProblem{line,
                           "a backslash in a string followed by a non-ASCII character (no "
                           "such escape); not read"};
    };
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
    // Skips a string starting at i; leaves i on its last character. False when a backslash is
    // followed (past blanks and line ends) by a non-ASCII byte: no valid escape, and inside a
    // multi-line string toml++ 3.3 reaches __builtin_unreachable() classifying that byte.
    auto skip_string = [&](size_t& i) -> bool {
        const char quote = text[i];
        const bool basic = quote == '"';
        const std::string_view triple = basic ? R"(""")" : "'''";
        const bool multi = text.substr(i, 3) == triple;
        i += multi ? 3 : 1;
        for (; i < text.size(); ++i) {
            const char c = text[i];
            if (c == '\n') {
                ++line;
                if (!multi) return true;  // unterminated; toml++ says so
            } else if (basic && c == '\\') {
                size_t next = i + 1;
                while (next < text.size() && (text[next] == ' ' || text[next] == '\t' ||
                                              text[next] == '\r' || text[next] == '\n'))
                    ++next;
                if (next < text.size() && static_cast<unsigned char>(text[next]) >= 0x80)
                    return false;
                ++i;
                if (i < text.size() && text[i] == '\n') ++line;
            } else if (c == quote && (!multi || text.substr(i, 3) == triple)) {
                // A multi-line string may end in up to two more quotes ("""a"""").
                if (multi) {
                    i += 2;
                    while (i + 1 < text.size() && text[i + 1] == quote) ++i;
                }
                return true;
            }
        }
        return true;
    };

    // A UTF-8 byte order mark, as Windows editors write, is the one non-ASCII text allowed here.
    const size_t start = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    char prev = '\n';  // the last character read outside strings and comments, blanks skipped
    size_t word = 0;   // where the bare value being read (not a string) started
    for (size_t i = start; i < text.size(); ++i) {
        const char c = text[i];
        if (static_cast<unsigned char>(c) >= 0x80) return non_ascii(line);
        if (c == '\n') {
            ++line;
            prev = c;
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
            const bool array_of_tables = i + 1 < text.size() && text[i + 1] == '[';
            if (array_of_tables) {
                ++header;
                ++i;
            }
            size_t first = i + 1;
            while (first < text.size() && (text[first] == ' ' || text[first] == '\t')) ++first;
            if (first < text.size() && static_cast<unsigned char>(text[first]) >= 0x80)
                return non_ascii(line);
            if (first >= text.size() ||
                !(bare_key_character(text[first]) || text[first] == '"' || text[first] == '\''))
                return TextProblem{line, "a table header must start with a key; not read"};
            char header_prev = '[';
            for (++i; i < text.size() && text[i] != ']' && text[i] != '\n'; ++i) {
                const char h = text[i];
                if (static_cast<unsigned char>(h) >= 0x80) return non_ascii(line);
                if (h == ' ' || h == '\t') continue;
                if (h == '"' || h == '\'') {
                    if (header_prev != '[' && header_prev != '.') return misplaced_quote(line);
                    if (!skip_string(i)) return bad_escape(line);
                } else if (h == '.') {
                    ++header;
                }
                header_prev = h;
                if (header > limit) return too_deep(line);
            }
            if (array_of_tables && i + 1 < text.size() && text[i] == ']' && text[i + 1] == ']')
                ++i;                                      // past both brackets
            if (i < text.size() && text[i] == '\n') --i;  // let the loop count the line
            in_key = false;                               // the rest of the line is no key
            prev = ']';
            continue;
        }
        bool deeper = false;  // only then is the depth measured again
        if (c == '"' || c == '\'') {
            const bool starts_something = prev == '\n' || prev == '=' || prev == '[' ||
                                          prev == '{' || prev == ',' || (in_key && prev == '.');
            if (!starts_something) return misplaced_quote(line);
            if (in_key && !key_started) {
                key_started = deeper = true;
                key_segments() = 1;
            }
            if (!skip_string(i)) return bad_escape(line);
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
        } else if (c == '=') {
            return TextProblem{line, "a second '=' after a key's value; not read"};
        } else if ((c == '[' || c == '{') && prev != '=' && prev != '[' && prev != ',' &&
                   prev != '\n') {
            // Inside a bare value (`05_1["…`) toml++ 3.3 scans on past what this scan takes for
            // an array and a string, into the bytes that trip it.
            return TextProblem{line, std::string("a '") + c + "' inside a value; not read"};
        } else if (c == '[' || c == '{') {
            frames.push_back(Frame{c == '{', 0});
            if (c == '{') start_key();
            deeper = true;
        } else if (c == ']' || c == '}') {
            // toml++ 3.3 asserts on a '}' where an array's next value should be (`e=[}`).
            if (frames.empty() || frames.back().inline_table != (c == '}'))
                return TextProblem{line,
                                   std::string("a '") + c + "' that closes nothing open; not read"};
            frames.pop_back();
        } else if (c == ',' && !frames.empty() && frames.back().inline_table) {
            start_key();
        } else if (c != ',' && !bare_value_character(c)) {
            // No number, date, time or boolean has one; toml++ 3.3 asserts scanning some of
            // them (`2704-$)-$p 7`).
            return TextProblem{line, std::string("a '") + c +
                                         "' in a value outside a string (quote text); not read"};
        } else if (c != ',') {  // a character of a bare value
            const bool blank_before =
                i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\r');
            if (!bare_value_character(prev)) {
                word = i;
            } else if (blank_before && !(i - word == kDateShape.size() + 1 &&
                                         starts_with_shape(text.substr(word), kDateTimeShape))) {
                return TextProblem{line,
                                   "a space inside a value outside a string (TOML allows one "
                                   "only between a date and its time: 1979-05-27 07:32:00); "
                                   "not read"};
            } else if ((c == 'T' || c == 't') && i - word == kDateShape.size() &&
                       starts_with_shape(text.substr(word), kDateShape) &&
                       !starts_with_shape(text.substr(word), kDateTimeShape)) {
                return TextProblem{line, std::string("a date and '") + c +
                                             "' with no two-digit hour and ':' after it "
                                             "(1979-05-27T07:32:00); not read"};
            }
        }
        if (deeper && depth() > limit) return too_deep(line);
        prev = c;
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
    auto problem = first_control_character(text);
    if (!problem) problem = first_structure_problem(text, kMaxTomlDepth);
    if (problem) {
        log.add(problem->line, problem->message);
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
