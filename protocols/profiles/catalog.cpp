#include "profiles/catalog.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "common/toml_document.hpp"

namespace sealwatch::profiles {

Catalog Catalog::builtin() {
    Catalog c;
    for (const auto& t : builtin_profile_texts()) {
        const std::string name = std::string("builtin:") + t.file_name;
        auto parsed = parse_profile(t.text, name);
        if (!parsed) {
            // The built-ins are covered by unit tests: reaching this is a build defect.
            for (const auto& p : parsed.error()) std::fprintf(stderr, "%s\n", p.c_str());
            std::fprintf(stderr, "sealwatch: built-in profile %s does not parse; aborting\n",
                         t.file_name);
            std::abort();
        }
        c.add(std::move(*parsed));
    }
    return c;
}

void Catalog::add_folder(const std::string& dir, std::vector<std::string>& problems) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> files;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        problems.push_back(dir + ":0: cannot read profile folder: " + ec.message());
        return;
    }
    for (const auto& entry : it) {
        std::error_code fec;
        if (entry.path().extension() == ".toml" && entry.is_regular_file(fec))
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());  // same folder, same order, same winner

    std::map<std::string, std::string, std::less<>> seen_here;  // id -> file, this folder
    for (const auto& path : files) {
        const std::string name = path.string();
        ProblemLog log(name);
        auto text = read_toml_file(name, log);
        if (!text) {
            for (auto& p : log.in_file_order()) problems.push_back(std::move(p));
            continue;
        }
        auto parsed = parse_profile(*text, name);
        if (!parsed) {
            problems.insert(problems.end(), parsed.error().begin(), parsed.error().end());
            continue;
        }
        if (auto prev = seen_here.find(parsed->id); prev != seen_here.end()) {
            problems.push_back(name + ":1: profile id '" + parsed->id + "' is also defined in " +
                               prev->second);
            continue;
        }
        seen_here.emplace(parsed->id, name);
        add(std::move(*parsed));
    }
}

void Catalog::add(Profile profile) {
    if (auto old = by_id_.find(profile.id); old != by_id_.end())
        profile.origin += " (replaces " + old->second.origin + ")";
    std::string id = profile.id;
    by_id_.insert_or_assign(std::move(id), std::move(profile));
}

const Profile* Catalog::find(std::string_view id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalog::ids() const {
    std::vector<std::string> out;
    out.reserve(by_id_.size());
    for (const auto& [id, p] : by_id_) out.push_back(id);
    return out;
}

}  // namespace sealwatch::profiles
