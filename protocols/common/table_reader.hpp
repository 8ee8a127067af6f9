#pragma once
// Reads the keys of one TOML table strictly: typed getters with ranges, and at the end every key
// that nobody asked for is reported as unknown. Problems go to a shared list as
// "FILE:LINE: message" so that one run reports them all.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace sealwatch::config {

class TableReader {
  public:
    TableReader(const toml::table& table, std::string_view file, std::string context,
                std::vector<std::string>& problems);
    ~TableReader();  // reports unknown keys
    TableReader(const TableReader&) = delete;
    TableReader& operator=(const TableReader&) = delete;

    // Each getter leaves `out` untouched when the key is absent (out holds the default) and
    // reports a problem when it is present but wrong, or absent and required.
    void string(std::string_view key, std::string& out, bool required = false);
    void id(std::string_view key, std::string& out, bool required = true);  // [A-Za-z0-9_-]{1,64}
    void integer(std::string_view key, int& out, int64_t min, int64_t max, bool required = false);
    void number(std::string_view key, double& out, double min, double max, bool required = false);
    void boolean(std::string_view key, bool& out);
    void strings(std::string_view key, std::vector<std::string>& out, bool required = false);
    // A sub-table (e.g. [uplink.tls]); nullptr when absent or not a table (reported).
    const toml::table* table(std::string_view key);
    // An array of tables (e.g. [[meter]]); empty when absent.
    std::vector<const toml::table*> tables(std::string_view key);

    unsigned line() const;
    unsigned line_of(std::string_view key) const;                  // the key's line, or the table's
    void problem(std::string_view key, std::string_view message);  // at the key's line
    void problem_here(std::string_view message);                   // at the table's line
    // A key that is known but not allowed here: reported with `message`, not as unknown.
    void reject(std::string_view key, std::string_view message);

  private:
    const toml::node* take(std::string_view key);

    const toml::table& table_;
    std::string_view file_;
    std::string context_;
    std::vector<std::string>& problems_;
    std::set<std::string, std::less<>> seen_;
};

}  // namespace sealwatch::config
