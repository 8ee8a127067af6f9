// sealwatch-county: the county office's side (docs/county.md, docs/security.md,
// docs/protocol.md, docs/inspector.md): run, status, gaps, alarms, keygen, send, request,
// web-password.
#include <algorithm>
#include <iostream>
#include <map>
#include <utility>

#include <CLI/CLI.hpp>

#include "chain/crypto.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "county/config.hpp"
#include "county/report.hpp"
#include "county/request.hpp"
#include "county/run.hpp"
#include "county/send.hpp"
#include "county/store/open_store.hpp"
#include "county/web/auth.hpp"

using namespace sealwatch;

namespace {

// A county command key: the private key as PKCS#8 PEM in FILE (0600, never overwritten; openssl
// reads it too), the public key as PEM in FILE.pub, and the gateway's [[command_key]] table on
// stdout to paste into every gateway's config.
int keygen(const std::string& out, const std::string& id) {
    auto key = chain::SigningKey::generate();
    if (!key) {
        std::cerr << "sealwatch-county keygen: " << key.error().message << '\n';
        return 1;
    }
    if (auto r = key->save_pem(out, out + ".pub"); !r) {
        std::cerr << "sealwatch-county keygen: " << r.error().message
                  << " (an existing key is never overwritten)\n";
        return 1;
    }
    std::cerr << "private key in " << out << " (keep it on this machine), public key in " << out
              << ".pub, fingerprint " << chain::fingerprint(key->public_key()) << '\n';
    std::cout << "[[command_key]]\nid = \"" << id << "\"\npublic_key = \""
              << chain::base64(key->public_key()) << "\"\n";
    return 0;
}

// The [web] password_hash line for the password on stdin's first line (a pipe, or typed). Too
// short a password is refused: the page may face a network.
int web_password() {
    std::string password;
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.size() < 10) {
        std::cerr << "sealwatch-county web-password: at least 10 characters, please\n";
        return 2;
    }
    auto hash = county::web::hash_password(password);
    std::fill(password.begin(), password.end(), '\0');
    if (!hash) {
        std::cerr << "sealwatch-county web-password: libsodium failed\n";
        return 1;
    }
    std::cout << "password_hash = \"" << *hash << "\"\n";
    return 0;
}

// The config, or its problems on stderr (one "FILE:LINE: message" each) and nullopt.
std::optional<county::Config> load_config(const std::string& path) {
    auto cfg = county::load(path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cerr << p << '\n';
        return std::nullopt;
    }
    return std::move(*cfg);
}

// status, gaps, alarms: read the database `run` writes (a WAL reader, or PostgreSQL read-only
// transactions: `run` goes on).
struct ReadVerb {
    CLI::App* app = nullptr;
    bool json = false, csv = false, all = false;
};

int read_verb(const std::string& verb, const std::string& config_path, const ReadVerb& how) {
    auto cfg = load_config(config_path);
    if (!cfg) return 2;
    auto store = county::open_store(*cfg, county::Access::read_only);
    if (!store) {
        std::cerr << "sealwatch-county " << verb << ": " << store.error().message << '\n';
        return 1;
    }
    const auto format = how.json  ? county::Format::json
                        : how.csv ? county::Format::csv
                                  : county::Format::table;
    const WallMs now = wall_now_ms();
    Result<std::string> text = fail("no such verb");
    if (verb == "status") {
        text = (*store)->gateways().map([&](const auto& gws) {
            return county::status_report(gws, now, cfg->silent_after_s, format);
        });
    } else if (verb == "gaps") {
        text = (*store)->gaps().map(
            [&](const auto& gaps) { return county::gaps_report(gaps, now, format); });
    } else {
        text = (*store)->alarms(how.all).map([&](const auto& alarms) {
            return county::alarms_report(alarms, now, how.all, format);
        });
    }
    if (!text) {
        std::cerr << "sealwatch-county " << verb << ": " << text.error().message << '\n';
        return 1;
    }
    std::cout << *text;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sealwatch-county - the county office's side of sealwatch"};
    app.set_version_flag("--version", std::string("sealwatch-county ") + SEALWATCH_VERSION);
    app.require_subcommand(1);

    std::string out, id = "county-1";
    auto* kg = app.add_subcommand("keygen", "make a county command key (Ed25519)");
    kg->add_option("--out", out, "private key file (FILE.pub gets the public key)")->required();
    kg->add_option("--id", id, "the key's id in the gateways' [[command_key]] tables");

    std::string config_path = "/etc/sealwatch-county/county.toml";
    county::SendOptions send;
    std::vector<std::string> send_args;
    auto* sd = app.add_subcommand(
        "send", "sign a command, send it to a gateway, wait for its reply and print it");
    sd->add_option("-c,--config", config_path, "the county config")->capture_default_str();
    sd->add_option("gateway", send.gateway, "the gateway's id")->required();
    sd->add_option("verb", send.verb, "ping | set-state | export | reload")->required();
    sd->add_option("args", send_args,
                   "NAME=VALUE: set-state asset= state= by= [note=]; export from= to= [asset=]");
    sd->add_option("--site", send.site,
                   "the gateway's site (default: from its retained status on the broker)");
    sd->add_option("--key", send.key_id, "the [[command_key]] to sign with (default: the first)");
    sd->add_option("--issued", send.issued, "the command's issue time (default: now)");
    sd->add_option("--valid-for", send.valid_for_s, "seconds from issued to expires")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    sd->add_option("--timeout", send.timeout_s, "seconds to wait for the broker and the reply")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    sd->add_option("--out", send.out_dir, "export: the folder the bundle is written to");
    sd->add_option("--pubkey", send.pubkey, "export: the gateway's public key to verify with");
    sd->add_flag("--json", send.json, "print the reply as JSON");

    auto* wp = app.add_subcommand(
        "web-password",
        "read a password on stdin, print the [web] password_hash line for the county config");

    county::RequestOptions req;
    auto* rq = app.add_subcommand(
        "request", "sign an inspector's request for a gateway's evidence, for a USB stick");
    rq->add_option("-c,--config", config_path, "the county config")->capture_default_str();
    rq->add_option("--gateway", req.gateway, "the gateway's id")->required();
    rq->add_option("--from", req.from, "start of the period (RFC 3339 or Unix seconds)")
        ->required();
    rq->add_option("--to", req.to, "end of the period")->required();
    rq->add_option("--asset", req.asset, "only this asset (default: all)");
    rq->add_option("--inspector", req.inspector, "who carries the stick (recorded in the chain)")
        ->required();
    rq->add_option("--expires", req.expires, "when the request lapses (at most 24 h after now)")
        ->required();
    rq->add_option("--issued", req.issued, "the request's issue time (default: now)");
    rq->add_option("--key", req.key_id, "the [[command_key]] to sign with (default: the first)");
    rq->add_option("--out", req.out, "the file, named sealwatch-request*.json")->required();

    auto* rn = app.add_subcommand(
        "run", "record every gateway's messages from the broker (foreground, until SIGTERM)");
    rn->add_option("-c,--config", config_path, "the county config")->capture_default_str();

    std::map<std::string, ReadVerb> reads;
    for (const auto& [verb, what] :
         {std::pair<std::string, std::string>{"status",
                                              "one row per gateway: state, missing, alarms, chain"},
          {"gaps", "the seq ranges never received, per gateway"},
          {"alarms", "open alarms (--all: cleared ones too), one per id"}}) {
        auto& r = reads[verb];
        r.app = app.add_subcommand(verb, what);
        r.app->add_option("-c,--config", config_path, "the county config")->capture_default_str();
        auto* js = r.app->add_flag("--json", r.json, "JSON for scripts");
        r.app->add_flag("--csv", r.csv, "CSV for spreadsheets")->excludes(js);
        if (verb == "alarms") r.app->add_flag("--all", r.all, "cleared alarms too");
    }

    CLI11_PARSE(app, argc, argv);
    if (rn->parsed()) {
        auto cfg = load_config(config_path);
        if (!cfg) return 2;
        return county::run(*cfg);
    }
    for (const auto& [verb, r] : reads)
        if (r.app->parsed()) return read_verb(verb, config_path, r);
    if (kg->parsed()) return keygen(out, id);
    if (wp->parsed()) return web_password();
    if (rq->parsed()) {
        auto cfg = load_config(config_path);
        if (!cfg) return 2;
        return county::request(*cfg, req);
    }
    if (sd->parsed()) {
        // The link logs for the agent ("uplink: … keeps buffering"); send says it in its own
        // words, with the broker's reason.
        log::set_level(log::Level::error);
        std::string problem;
        auto args = county::parse_args(send_args, problem);
        if (!args) {
            std::cerr << "sealwatch-county send: " << problem << '\n';
            return county::kSendUsage;
        }
        send.args = std::move(*args);
        auto cfg = load_config(config_path);
        if (!cfg) return county::kSendUsage;
        return county::send(*cfg, send);
    }
    return 2;
}
