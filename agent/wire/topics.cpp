#include "wire/topics.hpp"

#include <vector>

namespace sealwatch::wire {

Topics Topics::for_gateway(std::string_view prefix, std::string_view site,
                           std::string_view gateway) {
    Topics t;
    t.root.append(prefix).append("/").append(site).append("/").append(gateway);
    t.status = t.root + "/status";
    t.telemetry = t.root + "/telemetry";
    t.event = t.root + "/event";
    t.chain = t.root + "/chain";
    t.cmd_reply = t.root + "/cmd/reply";
    t.bridge = t.root + "/bridge";
    return t;
}

std::string Topics::cmd(std::string_view verb) const {
    return root + "/cmd/" + std::string(verb);
}

std::string Topics::cmd_filter() const {
    return root + "/cmd/+";
}

std::string Topics::export_chunks(std::string_view nonce) const {
    return root + "/cmd/export/" + std::string(nonce);
}

namespace {

// The levels of `rest`, or nothing when one is empty or holds a wildcard.
std::optional<std::vector<std::string_view>> levels(std::string_view rest) {
    std::vector<std::string_view> out;
    while (true) {
        auto slash = rest.find('/');
        auto level = rest.substr(0, slash);
        if (level.empty() || level.find_first_of("+#") != std::string_view::npos)
            return std::nullopt;
        out.push_back(level);
        if (slash == std::string_view::npos) return out;
        rest.remove_prefix(slash + 1);
    }
}

}  // namespace

std::optional<TopicName> parse_topic(std::string_view prefix, std::string_view topic) {
    if (topic.size() <= prefix.size() + 1 || topic.substr(0, prefix.size()) != prefix ||
        topic[prefix.size()] != '/')
        return std::nullopt;
    auto parts = levels(topic.substr(prefix.size() + 1));
    if (!parts || parts->size() < 3) return std::nullopt;
    const auto& l = *parts;
    TopicName name;
    name.site = l[0];
    name.gateway = l[1];
    if (l.size() == 3) {
        if (l[2] == "status") {
            name.kind = TopicKind::status;
        } else if (l[2] == "telemetry") {
            name.kind = TopicKind::telemetry;
        } else if (l[2] == "event") {
            name.kind = TopicKind::event;
        } else if (l[2] == "chain") {
            name.kind = TopicKind::chain;
        } else if (l[2] == "bridge") {
            name.kind = TopicKind::bridge;
        } else {
            return std::nullopt;
        }
        return name;
    }
    if (l[2] != "cmd") return std::nullopt;
    if (l.size() == 4) {
        name.kind = l[3] == "reply" ? TopicKind::cmd_reply : TopicKind::cmd;
        if (name.kind == TopicKind::cmd) name.arg = l[3];
        return name;
    }
    if (l.size() == 5 && l[3] == "export") {
        name.kind = TopicKind::export_chunks;
        name.arg = l[4];
        return name;
    }
    return std::nullopt;
}

}  // namespace sealwatch::wire
