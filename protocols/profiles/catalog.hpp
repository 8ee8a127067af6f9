#pragma once
// All profiles known to a run: the built-in ones (compiled in) plus those in user folders.
// A user file with the same id as a built-in replaces it (and says so in the origin).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "profiles/profile.hpp"

namespace sealwatch::profiles {

struct BuiltinProfileText {
    const char* file_name;
    const char* text;
};
const std::vector<BuiltinProfileText>& builtin_profile_texts();  // generated at build time

class Catalog {
  public:
    // Built-ins only. They are tested, so a parse failure here is a build defect (aborts).
    static Catalog builtin();
    // Adds every *.toml in dir; problems are appended as "FILE:LINE: message".
    void add_folder(const std::string& dir, std::vector<std::string>& problems);
    void add(Profile profile);

    const Profile* find(std::string_view id) const;
    std::vector<std::string> ids() const;

  private:
    std::map<std::string, Profile, std::less<>> by_id_;
};

}  // namespace sealwatch::profiles
