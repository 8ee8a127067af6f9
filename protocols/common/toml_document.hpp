#pragma once
// Reading a TOML file the project trusts no further than its size and nesting: both are
// checked on the raw text before toml++ sees it, because toml++ recurses once per level of a
// dotted header (`[a.a.a…]` 20,000 deep overflows the stack) and would read any length. So are
// three things toml++ 3.3 mishandles (found by tests/fuzz): a control character, a non-ASCII
// byte outside strings and comments, and a [header] not starting with a key — all invalid TOML.
// Problems go to the log as "FILE:LINE: message"; nullopt means the file cannot be used.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "common/problem_log.hpp"

namespace sealwatch {

// Far above any real config (a few hundred meters is some 50 KB) or profile.
inline constexpr size_t kMaxTomlBytes = size_t{4} * 1024 * 1024;
// Tables, arrays and dotted-key segments inside one another; the project's files use at most 4.
inline constexpr unsigned kMaxTomlDepth = 32;

// The file's text, refused when it cannot be read or exceeds kMaxTomlBytes (problem at line 0).
std::optional<std::string> read_toml_file(const std::string& path, ProblemLog& log);

// The document, refused when too large, nested too deep, or not valid TOML (at its line).
std::optional<toml::table> parse_toml(std::string_view text, ProblemLog& log);

}  // namespace sealwatch
