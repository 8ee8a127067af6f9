#pragma once
// Small text helpers shared by the parsers and the pages: where a problem stands, identifier
// checks, HTML escaping, text made safe to echo.
#include <cstddef>
#include <string>
#include <string_view>

namespace sealwatch {

// Text from a file as it may be shown on a terminal: control characters (a NUL, an escape
// sequence) as \xNN, and at most about `max_bytes` bytes, then "... (N bytes in all)".
std::string printable(std::string_view text, size_t max_bytes);
inline constexpr size_t kMaxEchoedBytes = 1024;

// "FILE:LINE: message" — the one format every config, profile and scenario problem uses. File and
// message are printable(): a hostile file's values are echoed bounded and escaped.
std::string located(std::string_view file, unsigned line, std::string_view msg);

// The contract's id alphabet: [A-Za-z0-9_-]{1,64}.
bool is_valid_id(std::string_view id);

// Text for HTML content and attribute values: & < > " ' as entities (the evidence bundle's
// report.html, the county's web page).
std::string html_escape(std::string_view s);

}  // namespace sealwatch
