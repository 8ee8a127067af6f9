#pragma once
// `sealwatch-county request` (docs/inspector.md, docs/protocol.md "Inspection requests"): an
// inspector's request for one gateway's evidence of a period, signed with a county key like a
// command (verb `inspect`), written to a file that goes on a USB stick. No broker is involved.
#include <optional>
#include <string>

#include "county/config.hpp"

namespace sealwatch::county {

struct RequestOptions {
    std::string gateway;
    std::string from, to;               // RFC 3339 or Unix seconds
    std::optional<std::string> asset;   // all assets when absent
    std::string inspector;              // who carries the stick, recorded in the chain
    std::string expires;                // RFC 3339 or Unix seconds; at most 24 h after issued
    std::optional<std::string> issued;  // now when absent
    std::optional<std::string> key_id;  // a [[command_key]] id; the first one when absent
    std::string out;                    // the file; its name must be sealwatch-request*.json
};

// 0 written; 2 bad arguments, config or key (nothing written); 1 the file could not be written.
int request(const Config& cfg, const RequestOptions& options);

}  // namespace sealwatch::county
