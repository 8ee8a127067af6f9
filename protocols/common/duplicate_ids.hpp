#pragma once
// One check every config makes: no two items of a kind (buses, meters, keys...) share an id.
// Items have `id` and `line`; each repeat is reported at its line, naming the first.
#include <map>
#include <string>
#include <string_view>

#include "common/problem_log.hpp"

namespace sealwatch {

template <typename Items>
void report_duplicate_ids(const Items& items, std::string_view what, ProblemLog& log) {
    std::map<std::string, unsigned> first;
    for (const auto& it : items) {
        if (it.id.empty()) continue;
        auto [pos, fresh] = first.emplace(it.id, it.line);
        if (!fresh)
            log.add(it.line, "duplicate " + std::string(what) + " id \"" + it.id +
                                 "\" (first at line " + std::to_string(pos->second) + ")");
    }
}

}  // namespace sealwatch
