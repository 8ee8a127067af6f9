#include "config/broker.hpp"

#include <filesystem>
#include <utility>

namespace sealwatch::config {

using Need = TableReader::Need;

Tls read_tls(const toml::table& t, const std::string& name, ProblemLog& log) {
    Tls tls;
    TableReader r(t, name, log);
    r.read("ca_file", tls.ca_file, Need::required);
    r.read("cert_file", tls.cert_file);
    r.read("key_file", tls.key_file);
    for (auto [key, path] : {std::pair<const char*, std::string*>{"ca_file", &tls.ca_file},
                             {"cert_file", &tls.cert_file},
                             {"key_file", &tls.key_file}}) {
        std::error_code ec;
        if (path->empty()) continue;
        if (!std::filesystem::exists(*path, ec))
            r.problem(key, std::string("'") + key + "': no such file " + *path);
        else if (std::filesystem::is_directory(*path, ec))
            r.problem(key, std::string("'") + key + "': " + *path + " is a folder, not a file");
    }
    if (tls.cert_file.empty() != tls.key_file.empty())
        r.problem_here(name + ": 'cert_file' and 'key_file' go together");
    return tls;
}

void read_broker(TableReader& r, std::string_view table, Broker& b) {
    const std::string name = "[" + std::string(table) + "]";
    const std::string tls_name = "[" + std::string(table) + ".tls]";
    r.read("host", b.host);
    if (b.host.empty()) r.problem("host", "'host' must not be empty");
    r.read("insecure", b.insecure);
    b.port = b.insecure ? 1883 : 8883;
    r.read("port", b.port, 1, 65535);
    r.read("topic_prefix", b.topic_prefix);
    if (b.topic_prefix.empty() || b.topic_prefix.find_first_of("#+") != std::string::npos ||
        b.topic_prefix.front() == '/' || b.topic_prefix.back() == '/')
        r.problem("topic_prefix",
                  "'topic_prefix' must be a non-empty MQTT topic without wildcards or "
                  "leading/trailing '/'");
    r.read("username", b.username);
    r.read("password", b.password);
    r.read("keepalive_s", b.keepalive_s, 5, 3600);
    if (const auto* t = r.table("tls")) b.tls = read_tls(*t, tls_name, r.log());
    if (!b.insecure && !b.tls)
        r.problem_here(name + ": no " + tls_name +
                       " table; plain MQTT needs 'insecure = true' said explicitly");
    if (b.insecure && b.tls)
        r.problem("insecure", "'insecure = true' with " + tls_name + ": pick one");
}

}  // namespace sealwatch::config
