#pragma once
// Small text helpers shared by the parsers: where a TOML node stands, identifier checks.
#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace sealwatch {

// "FILE:LINE: message" — the one format every config and profile error uses.
std::string located(std::string_view file, const toml::source_region& where, std::string_view msg);
std::string located(std::string_view file, unsigned line, std::string_view msg);

// The contract's id alphabet: [A-Za-z0-9_-]{1,64}.
bool is_valid_id(std::string_view id);

}  // namespace sealwatch
