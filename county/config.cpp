#include "county/config.hpp"

#include <arpa/inet.h>

#include <filesystem>
#include <utility>

#include <libpq-fe.h>

#include "common/duplicate_ids.hpp"
#include "common/problem_log.hpp"
#include "common/table_reader.hpp"
#include "common/toml_document.hpp"
#include "county/source/amqp_url.hpp"
#include "detect/timezone.hpp"

namespace sealwatch::county {

bool is_loopback(std::string_view host) {
    if (host == "localhost" || host == "::1") return true;
    in_addr v4{};
    const std::string text(host);
    return ::inet_pton(AF_INET, text.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

const CommandKey* Config::find_command_key(std::string_view id) const {
    for (const auto& k : command_keys)
        if (k.id == id) return &k;
    return nullptr;
}

namespace {

using Need = TableReader::Need;

// The MQTT client id alphabet the project allows: printable ASCII without spaces or the topic
// wildcards, short enough for every broker (MQTT 3.1.1 only promises 23 bytes; mosquitto and
// RabbitMQ take more).
bool valid_client_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (c <= ' ' || c > '~' || c == '+' || c == '#' || c == '/') return false;
    return true;
}

class Parser {
  public:
    explicit Parser(ProblemLog& log) : log_(log) {}

    void root(const toml::table& tbl, Config& cfg) {
        TableReader r(tbl, "the top level", log_);
        if (const auto* t = r.table("county")) county(*t, cfg);
        if (const auto* t = r.table("store")) store(*t, cfg.store);
        if (const auto* t = r.table("broker")) {
            broker(*t, cfg.broker);
        } else if (!r.has("broker")) {
            r.problem_here("missing [broker] table");
        }
        if (const auto* t = r.table("source")) source(*t, cfg);
        for (const auto* t : r.tables("command_key")) cfg.command_keys.push_back(command_key(*t));
        if (const auto* t = r.table("web")) cfg.web = web(*t);
    }

  private:
    void county(const toml::table& t, Config& cfg) {
        TableReader r(t, "[county]", log_);
        r.read("data_dir", cfg.data_dir);
        if (cfg.data_dir.empty()) r.problem("data_dir", "'data_dir' must not be empty");
        r.read("silent_after_s", cfg.silent_after_s, 5, 86400);
        r.read("power_retention_h", cfg.power_retention_h, 1, 8784);
    }

    void store(const toml::table& t, Storage& s) {
        TableReader r(t, "[store]", log_);
        if (auto kind = r.string("kind")) {
            if (*kind == "sqlite") {
                s.kind = Storage::Kind::sqlite;
            } else if (*kind == "postgresql") {
                s.kind = Storage::Kind::postgresql;
            } else {
                r.problem("kind", "'kind' in [store] must be \"sqlite\" or \"postgresql\", not \"" +
                                      *kind + "\"");
            }
        }
        r.read("url", s.url);
        if (s.kind == Storage::Kind::sqlite && r.has("url"))
            r.problem(
                "url",
                "'url' in [store] is for kind = \"postgresql\"; SQLite is data_dir/county.db");
        if (s.kind != Storage::Kind::postgresql) return;
        if (!r.has("url")) {
            r.problem_here(
                "[store] kind = \"postgresql\" needs 'url' (\"postgresql://USER@HOST/DB\")");
            return;
        }
        // libpq's own parser, so a typo is found by `config check`, not at the first connect.
        char* why = nullptr;
        PQconninfoOption* options = PQconninfoParse(s.url.c_str(), &why);
        if (!options) {
            std::string message = why ? why : "cannot be parsed";
            while (!message.empty() && message.back() == '\n') message.pop_back();
            r.problem("url", "'url' in [store] is not a PostgreSQL connection string: " + message);
        }
        PQconninfoFree(options);
        PQfreemem(why);
    }

    void broker(const toml::table& t, Broker& b) {
        TableReader r(t, "[broker]", log_);
        config::read_broker(r, "broker", b);
        r.read("client_id", b.client_id);
        if (!valid_client_id(b.client_id))
            r.problem("client_id",
                      "'client_id' in [broker] must be 1 to 64 printable ASCII characters "
                      "without spaces, '/', '+' or '#'");
    }

    void source(const toml::table& t, Config& cfg) {
        TableReader r(t, "[source]", log_);
        auto& s = cfg.source;
        if (auto kind = r.string("kind")) {
            if (*kind == "amqp") {
                s.kind = SourceSettings::Kind::amqp;
            } else if (*kind != "mqtt") {
                r.problem("kind", "'kind' in [source] must be \"mqtt\" or \"amqp\"");
                return;
            }
        }
        if (s.kind == SourceSettings::Kind::mqtt) {
            for (const char* key : {"urls", "queue", "prefetch", "heartbeat_s", "tls"})
                if (r.has(key))
                    r.reject(key, std::string("'") + key +
                                      "' in [source] is for kind = \"amqp\" (kind \"mqtt\" "
                                      "reads [broker])");
            return;
        }
        r.read("urls", s.amqp.urls, Need::required);
        if (r.has("urls") && s.amqp.urls.empty())
            r.problem("urls", "'urls' in [source] must name at least one node");
        // Named by position: a URL carries the password, which has no place in a message.
        size_t over_tls = 0;
        for (size_t i = 0; i < s.amqp.urls.size(); ++i) {
            auto u = parse_amqp_url(s.amqp.urls[i]);
            if (!u)
                r.problem("urls", "'urls' in [source], item " + std::to_string(i + 1) + ": " +
                                      u.error().message);
            else if (u->tls)
                ++over_tls;
        }
        if (const auto* tls = r.table("tls"))
            s.amqp.tls = config::read_tls(*tls, "[source.tls]", log_);
        // One way for the whole cluster: a node reached in plain text beside TLS ones would
        // carry the same messages and password unprotected whenever the others are down.
        if (over_tls != 0 && over_tls != s.amqp.urls.size())
            r.problem("urls",
                      "'urls' in [source] mix amqps:// and amqp://: use one for every node");
        else if (over_tls != 0 && !s.amqp.tls)
            r.problem("urls",
                      "amqps:// 'urls' in [source] need a [source.tls] table with at least "
                      "ca_file");
        else if (over_tls == 0 && s.amqp.tls)
            r.problem("tls", "[source.tls] is for amqps:// urls; these are amqp://");
        r.read("queue", s.amqp.queue);
        if (s.amqp.queue.empty() || s.amqp.queue.size() > 255)
            r.problem("queue", "'queue' in [source] must be 1 to 255 characters");
        r.read("prefetch", s.amqp.prefetch, 1, 65535);
        r.read("heartbeat_s", s.amqp.heartbeat_s, 0, 600);
        // RabbitMQ's MQTT plugin turns the topic's '/' into the routing key's '.' and leaves a
        // '.' as it is: a '.' of the prefix's own could not be told from a level on the way back.
        if (cfg.broker.topic_prefix.find('.') != std::string::npos)
            r.problem_here(
                "kind = \"amqp\" needs a [broker] topic_prefix without '.' (RabbitMQ "
                "maps '/' to '.' in routing keys)");
    }

    Web web(const toml::table& t) {
        Web w;
        TableReader r(t, "[web]", log_);
        w.line = r.line();
        r.read("host", w.host);
        if (w.host.empty()) r.problem("host", "'host' in [web] must not be empty");
        r.read("port", w.port, 1, 65535);
        r.read("username", w.username);
        if (w.username.empty() || w.username.find(':') != std::string::npos)
            r.problem("username", "'username' in [web] must be non-empty and without ':'");
        r.read("password_hash", w.password_hash);
        if (!w.password_hash.empty() && w.password_hash.rfind("$argon2id$", 0) != 0)
            r.problem("password_hash",
                      "'password_hash' in [web] must be an Argon2id hash as "
                      "`sealwatch-county web-password` prints it ($argon2id$…), never the "
                      "password itself");
        r.read("timezone", w.timezone);
        bool zone_ok = true;
        detect::TimeZone::load(w.timezone, &zone_ok);
        if (!zone_ok)
            r.problem("timezone",
                      "unknown timezone \"" + w.timezone + "\" (see /usr/share/zoneinfo)");
        if (const auto* tls = r.table("tls")) {
            TableReader tr(*tls, "[web.tls]", log_);
            Web::Tls files;
            tr.read("cert_file", files.cert_file, Need::required);
            tr.read("key_file", files.key_file, Need::required);
            for (const auto& [key, path] :
                 {std::pair<const char*, const std::string*>{"cert_file", &files.cert_file},
                  {"key_file", &files.key_file}}) {
                std::error_code ec;
                if (!path->empty() && !std::filesystem::exists(*path, ec))
                    tr.problem(key, std::string("'") + key + "': no such file " + *path);
            }
            w.tls = files;
        }
        // A page off this machine carries the bureau's view of every plant: it travels encrypted
        // and opens only with the password, or it is not served at all.
        if (!is_loopback(w.host) && (!w.tls || w.password_hash.empty()))
            r.problem_here("[web]: host \"" + w.host +
                           "\" is reachable from other machines: the page is served there only "
                           "with [web.tls] (cert_file, key_file) and a password_hash; or use "
                           "host = \"127.0.0.1\"");
        return w;
    }

    CommandKey command_key(const toml::table& t) {
        CommandKey k;
        TableReader r(t, "[[command_key]]", log_);
        k.line = r.line();
        if (auto id = r.id("id")) k.id = std::move(*id);
        r.read("private_key_file", k.private_key_file, Need::required);
        std::error_code ec;
        if (!k.private_key_file.empty() && !std::filesystem::exists(k.private_key_file, ec))
            r.problem("private_key_file", "'private_key_file': no such file " + k.private_key_file +
                                              " (sealwatch-county keygen --out FILE makes one)");
        return k;
    }

    ProblemLog& log_;
};

}  // namespace

tl::expected<Config, Problems> parse(std::string_view text, const std::string& file_name) {
    ProblemLog log(file_name);
    auto tbl = parse_toml(text, log);
    if (!tbl) return tl::unexpected(log.in_file_order());
    Config cfg;
    cfg.file = file_name;
    Parser(log).root(*tbl, cfg);
    report_duplicate_ids(cfg.command_keys, "command_key", log);
    if (!log.empty()) return tl::unexpected(log.in_file_order());
    return cfg;
}

tl::expected<Config, Problems> load(const std::string& path) {
    ProblemLog log(path);
    auto text = read_toml_file(path, log);
    if (!text) return tl::unexpected(log.in_file_order());
    return parse(*text, path);
}

}  // namespace sealwatch::county
