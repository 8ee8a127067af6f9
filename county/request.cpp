#include "county/request.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "command/verbs.hpp"
#include "command/verify.hpp"
#include "common/clock.hpp"
#include "common/text.hpp"
#include "county/signed_command.hpp"

namespace sealwatch::county {

namespace {

int usage(const std::string& message) {
    std::cerr << "sealwatch-county request: " << message << '\n';
    return 2;
}

}  // namespace

int request(const Config& cfg, const RequestOptions& o) {
    // Everything the gateway would refuse is refused here first, before anything is signed.
    if (!is_valid_id(o.gateway)) return usage("'" + o.gateway + "' is not a gateway id");
    const auto name = std::filesystem::path(o.out).filename().string();
    if (!wire::is_stick_request_name(name))
        return usage(
            "--out: the gateway reads files named " + std::string(wire::kStickRequestPrefix) + "*" +
            std::string(wire::kStickRequestSuffix) + " at the stick's root, not '" + name + "'");
    wire::CommandBody body;
    body.verb = std::string(command::to_string(command::Verb::inspect));
    body.gateway = o.gateway;
    body.args = {{"from", o.from}, {"to", o.to}, {"inspector", o.inspector}};
    if (o.asset) body.args["asset"] = *o.asset;
    if (auto p = command::args_problem(command::Verb::inspect, body.args); !p.empty())
        return usage(p);
    body.issued = wall_now_ms();
    if (o.issued) {
        auto t = parse_time(*o.issued);
        if (!t) return usage("--issued '" + *o.issued + "' is no RFC 3339 time or Unix seconds");
        body.issued = *t;
    }
    auto expires = parse_time(o.expires);
    if (!expires) return usage("--expires '" + o.expires + "' is no RFC 3339 time or Unix seconds");
    body.expires = *expires;
    if (body.expires <= body.issued) return usage("--expires must be after the issue time");
    if (body.expires - body.issued > command::kMaxValidityMs)
        return usage("--expires must be at most 24 h after the issue time (" +
                     format_rfc3339(body.issued) + ")");
    auto key = county_key(cfg, o.key_id);
    if (!key) return usage(key.error().message);
    body.nonce = new_nonce();
    auto payload = sign_command(key->key, key->id, body);
    if (!payload) return usage(payload.error().message);

    // Whole or not at all: a half-written request on a stick would only be refused.
    const std::string tmp = o.out + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << *payload << '\n';
        if (!f.flush()) {
            std::cerr << "sealwatch-county request: cannot write " << tmp << '\n';
            return 1;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, o.out, ec);
    if (ec) {
        std::cerr << "sealwatch-county request: " << o.out << ": " << ec.message() << '\n';
        return 1;
    }
    std::cerr << "request for " << o.gateway << ", " << o.from << " to " << o.to
              << (o.asset ? ", asset " + *o.asset : std::string()) << ", by " << o.inspector
              << ", signed with " << key->id << ", valid until " << format_rfc3339(body.expires)
              << ", nonce " << body.nonce << "\ncopy " << o.out
              << " to the root of the inspector's USB stick (docs/inspector.md)\n";
    return 0;
}

}  // namespace sealwatch::county
