#pragma once
// Reads the keys of one TOML table strictly, the same way for every file the project reads
// (the agent config, meter profiles, simulator scenarios): typed getters with ranges, required
// keys, arrays of tables, and at the end every key nobody asked for is reported as unknown, so a
// typo never silently becomes a default. Problems go to the file's ProblemLog at the key's line;
// each getter reports and carries on, so one run reports every problem.
//
// Messages name a key as "'KEY' in CONTEXT" (CONTEXT as the constructor got it):
//   'KEY' in CONTEXT must be a string | an integer | a finite number | true or false | ...
//   'KEY' in CONTEXT = VALUE is out of range [MIN, MAX]
//   missing required key 'KEY' in CONTEXT                      (at the table's line)
//   unknown key 'KEY' in CONTEXT (expected one of: A, B, C)   (when the reader is destroyed)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "common/problem_log.hpp"

namespace sealwatch {

// A TOML integer or float as a double; nullopt for any other type and for inf and nan.
std::optional<double> finite_number(const toml::node& node);

class TableReader {
  public:
    enum class Need { optional, required };

    // `context` names the table in messages: "[uplink]", "[[meter]]", "field 'p_w'". Empty for
    // the top level of a file whose messages need no "in ...".
    TableReader(const toml::table& table, std::string context, ProblemLog& log);
    ~TableReader();  // reports unknown keys
    TableReader(const TableReader&) = delete;
    TableReader& operator=(const TableReader&) = delete;

    // Every getter marks the key as known. Absent: nullopt (and a problem when required).
    // Present but of the wrong type or out of range: nullopt and a problem.
    const toml::node* node(std::string_view key, Need need = Need::optional);  // any type
    std::optional<std::string> string(std::string_view key, Need need = Need::optional);
    // A string in the contract's id alphabet, [A-Za-z0-9_-]{1,64}.
    std::optional<std::string> id(std::string_view key, Need need = Need::required);
    std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max,
                                   Need need = Need::optional);
    std::optional<double> number(std::string_view key, double min, double max,
                                 Need need = Need::optional);
    std::optional<double> number(std::string_view key, Need need = Need::optional);  // any
    std::optional<bool> boolean(std::string_view key, Need need = Need::optional);
    std::optional<std::vector<std::string>> strings(std::string_view key,
                                                    Need need = Need::optional);
    // A sub-table (e.g. [uplink.tls] or an inline table).
    const toml::table* table(std::string_view key, Need need = Need::optional);
    // An array of tables ([[meter]], or an array of inline tables); empty when absent.
    std::vector<const toml::table*> tables(std::string_view key);
    // As tables(), and one table alone counts as an array of one (heat = { ... }).
    std::vector<const toml::table*> table_or_tables(std::string_view key);
    // Every key of a table whose keys are data (profile [fields]: one key per quantity), in
    // toml++'s order (by key); all of them count as known.
    struct Entry {
        std::string_view key;
        const toml::node& node;
        unsigned line;
    };
    std::vector<Entry> entries();

    // The same getters into a value that holds the default: left as it is when the key is
    // absent or wrong.
    void read(std::string_view key, std::string& out, Need need = Need::optional);
    void read(std::string_view key, bool& out);
    void read(std::string_view key, int& out, int64_t min, int64_t max, Need need = Need::optional);
    void read(std::string_view key, double& out, double min, double max,
              Need need = Need::optional);
    void read(std::string_view key, std::vector<std::string>& out, Need need = Need::optional);

    bool has(std::string_view key) const;
    unsigned line() const;                          // the table's line
    unsigned line_of(std::string_view key) const;   // the key's line, or the table's
    std::string name(std::string_view key) const;   // "'KEY' in CONTEXT", as messages say it
    const std::vector<std::string>& known() const;  // every key asked for, in asking order
    ProblemLog& log() { return log_; }              // for the readers of sub-tables

    // Problems of the caller's own checks, at the key's line, the table's, or a node's.
    void problem(std::string_view key, std::string_view message);
    void problem_here(std::string_view message);
    void problem_at(const toml::node& node, std::string_view message);
    // A key that is known but not allowed here: reported with `message`, not as unknown.
    void reject(std::string_view key, std::string_view message);

  private:
    const toml::node* take(std::string_view key, Need need);
    std::vector<const toml::table*> collect(std::string_view key, const toml::node* node,
                                            std::string_view must_be);
    void wrong(std::string_view key, std::string_view must_be);

    const toml::table& table_;
    std::string context_;
    ProblemLog& log_;
    std::vector<std::string> known_;
    std::vector<std::string> rejected_;
};

}  // namespace sealwatch
