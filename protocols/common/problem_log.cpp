#include "common/problem_log.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace sealwatch {

void ProblemLog::add(unsigned line, std::string_view message) {
    own_.emplace_back(line, std::string(message));
}

void ProblemLog::add_other(std::vector<std::string> located) {
    for (auto& p : located) other_.push_back(std::move(p));
}

std::vector<std::string> ProblemLog::in_file_order() const {
    auto own = own_;
    std::stable_sort(own.begin(), own.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out = other_;
    out.reserve(out.size() + own.size());
    for (const auto& [line, message] : own) out.push_back(located(file_, line, message));
    return out;
}

}  // namespace sealwatch
