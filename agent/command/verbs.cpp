#include "command/verbs.hpp"

#include <initializer_list>

#include "common/clock.hpp"
#include "common/text.hpp"
#include "config/config.hpp"

namespace sealwatch::command {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxByBytes = 200;
constexpr std::size_t kMaxNoteBytes = 2000;

// The first member not in `allowed`, or empty.
std::string unexpected_member(const json& args, std::initializer_list<std::string_view> allowed) {
    for (const auto& [name, value] : args.items()) {
        bool known = false;
        for (auto a : allowed) known = known || name == a;
        if (!known) return "unexpected arg '" + name + "'";
    }
    return {};
}

// The string member `name`; empty `problem` when fine. `required` members must be present.
const std::string* string_arg(const json& args, const char* name, bool required,
                              std::string& problem) {
    auto it = args.find(name);
    if (it == args.end()) {
        if (required) problem = std::string("missing arg '") + name + "'";
        return nullptr;
    }
    if (!it->is_string()) {
        problem = std::string("arg '") + name + "' must be a string";
        return nullptr;
    }
    return it->get_ptr<const std::string*>();
}

std::string set_state_problem(const json& args) {
    if (auto p = unexpected_member(args, {"asset", "state", "by", "note"}); !p.empty()) return p;
    std::string problem;
    const auto* asset = string_arg(args, "asset", true, problem);
    const auto* state = string_arg(args, "state", true, problem);
    const auto* by = string_arg(args, "by", true, problem);
    const auto* note = string_arg(args, "note", false, problem);
    if (!problem.empty()) return problem;
    if (!is_valid_id(*asset)) return "arg 'asset' must be an id ([A-Za-z0-9_-]{1,64})";
    if (!config::parse_asset_state(*state))
        return "arg 'state' must be one of operating, rectifying, shut, sealed, dismantled";
    if (by->empty() || by->size() > kMaxByBytes)
        return "arg 'by' must be 1 to " + std::to_string(kMaxByBytes) + " bytes";
    if (note && note->size() > kMaxNoteBytes)
        return "arg 'note' must be at most " + std::to_string(kMaxNoteBytes) + " bytes";
    return {};
}

// from, to and the optional asset of a period to export (export, inspect).
std::string period_problem(const json& args) {
    std::string problem;
    const auto* from = string_arg(args, "from", true, problem);
    const auto* to = string_arg(args, "to", true, problem);
    const auto* asset = string_arg(args, "asset", false, problem);
    if (!problem.empty()) return problem;
    auto t0 = parse_time(*from);
    auto t1 = parse_time(*to);
    if (!t0 || !t1) return "args 'from' and 'to' must be RFC 3339 times or Unix seconds";
    if (*t1 <= *t0) return "arg 'to' must be after 'from'";
    if (asset && !is_valid_id(*asset)) return "arg 'asset' must be an id ([A-Za-z0-9_-]{1,64})";
    return {};
}

std::string export_problem(const json& args) {
    if (auto p = unexpected_member(args, {"from", "to", "asset"}); !p.empty()) return p;
    return period_problem(args);
}

std::string inspect_problem(const json& args) {
    if (auto p = unexpected_member(args, {"from", "to", "asset", "inspector"}); !p.empty())
        return p;
    std::string problem;
    const auto* inspector = string_arg(args, "inspector", true, problem);
    if (!problem.empty()) return problem;
    if (inspector->empty() || inspector->size() > kMaxByBytes)
        return "arg 'inspector' must be 1 to " + std::to_string(kMaxByBytes) + " bytes";
    return period_problem(args);
}

}  // namespace

std::optional<Verb> parse_verb(std::string_view text) {
    for (auto v : {Verb::ping, Verb::set_state, Verb::export_bundle, Verb::reload, Verb::inspect})
        if (to_string(v) == text) return v;
    return std::nullopt;
}

std::string_view to_string(Verb verb) {
    switch (verb) {
        case Verb::ping:
            return "ping";
        case Verb::set_state:
            return "set-state";
        case Verb::export_bundle:
            return "export";
        case Verb::reload:
            return "reload";
        case Verb::inspect:
            return "inspect";
    }
    return "?";
}

bool arrives_by(Verb verb, Channel channel) {
    return (verb == Verb::inspect) == (channel == Channel::stick);
}

std::string args_problem(Verb verb, const json& args) {
    if (!args.is_object()) return "args must be an object";
    switch (verb) {
        case Verb::ping:
        case Verb::reload:
            return unexpected_member(args, {});
        case Verb::set_state:
            return set_state_problem(args);
        case Verb::export_bundle:
            return export_problem(args);
        case Verb::inspect:
            return inspect_problem(args);
    }
    return "unknown verb";
}

}  // namespace sealwatch::command
