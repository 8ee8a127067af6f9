#pragma once
// Small text helpers shared by the parsers and the pages: where a problem stands, identifier
// checks, HTML escaping.
#include <string>
#include <string_view>

namespace sealwatch {

// "FILE:LINE: message" — the one format every config, profile and scenario problem uses.
std::string located(std::string_view file, unsigned line, std::string_view msg);

// The contract's id alphabet: [A-Za-z0-9_-]{1,64}.
bool is_valid_id(std::string_view id);

// Text for HTML content and attribute values: & < > " ' as entities (the evidence bundle's
// report.html, the county's web page).
std::string html_escape(std::string_view s);

}  // namespace sealwatch
