#include "common/table_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/text.hpp"

namespace sealwatch {

namespace {

unsigned line_of_node(const toml::node& node) {
    return static_cast<unsigned>(node.source().begin.line);
}

// The shortest text that reads back as x: 0.5, 1e+09, not 0.500000 or 1000000000.000000.
std::string shortest(double x) {
    char buf[32];
    auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;
    return std::string(buf, end);
}

bool contains(const std::vector<std::string>& keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

std::optional<double> finite_number(const toml::node& node) {
    std::optional<double> x;
    if (const auto* i = node.as_integer()) x = static_cast<double>(i->get());
    if (const auto* f = node.as_floating_point()) x = f->get();
    if (x && !std::isfinite(*x)) return std::nullopt;
    return x;
}

TableReader::TableReader(const toml::table& table, std::string context, ProblemLog& log)
    : table_(table), context_(std::move(context)), log_(log) {}

TableReader::~TableReader() {
    std::string expected;
    for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
    for (const auto& [key, node] : table_) {
        if (contains(known_, key.str()) || contains(rejected_, key.str())) continue;
        std::string message = "unknown key '" + std::string(key.str()) + "'";
        if (!context_.empty()) message += " in " + context_;
        if (!expected.empty()) message += " (expected one of: " + expected + ")";
        const auto at = static_cast<unsigned>(key.source().begin.line);
        log_.add(at ? at : line_of_node(node), message);
    }
}

bool TableReader::has(std::string_view key) const {
    return table_.contains(key);
}

unsigned TableReader::line() const {
    return line_of_node(table_);
}

unsigned TableReader::line_of(std::string_view key) const {
    if (const auto* node = table_.get(key)) return line_of_node(*node);
    return line();
}

std::string TableReader::name(std::string_view key) const {
    std::string out = "'" + std::string(key) + "'";
    if (!context_.empty()) out += " in " + context_;
    return out;
}

const std::vector<std::string>& TableReader::known() const {
    return known_;
}

void TableReader::problem(std::string_view key, std::string_view message) {
    log_.add(line_of(key), message);
}

void TableReader::problem_here(std::string_view message) {
    log_.add(line(), message);
}

void TableReader::problem_at(const toml::node& node, std::string_view message) {
    log_.add(line_of_node(node), message);
}

void TableReader::reject(std::string_view key, std::string_view message) {
    rejected_.emplace_back(key);
    problem(key, message);
}

const toml::node* TableReader::take(std::string_view key, Need need) {
    if (!contains(known_, key)) known_.emplace_back(key);
    const auto* node = table_.get(key);
    if (!node && need == Need::required) {
        std::string message = "missing required key '" + std::string(key) + "'";
        if (!context_.empty()) message += " in " + context_;
        problem_here(message);
    }
    return node;
}

void TableReader::wrong(std::string_view key, std::string_view must_be) {
    problem(key, name(key) + " must be " + std::string(must_be));
}

const toml::node* TableReader::node(std::string_view key, Need need) {
    return take(key, need);
}

std::optional<std::string> TableReader::string(std::string_view key, Need need) {
    const auto* node = take(key, need);
    if (!node) return std::nullopt;
    if (const auto* s = node->as_string()) return s->get();
    wrong(key, "a string");
    return std::nullopt;
}

std::optional<std::string> TableReader::id(std::string_view key, Need need) {
    auto value = string(key, need);
    if (value && !is_valid_id(*value)) {
        problem(key, name(key) + " = \"" + *value + "\" is not a valid id ([A-Za-z0-9_-]{1,64})");
        return std::nullopt;
    }
    return value;
}

std::optional<int64_t> TableReader::integer(std::string_view key, int64_t min, int64_t max,
                                            Need need) {
    const auto* node = take(key, need);
    if (!node) return std::nullopt;
    const auto* v = node->as_integer();
    if (!v) {
        wrong(key, "an integer");
        return std::nullopt;
    }
    const int64_t x = v->get();
    if (x < min || x > max) {
        problem(key, name(key) + " = " + std::to_string(x) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
        return std::nullopt;
    }
    return x;
}

std::optional<double> TableReader::number(std::string_view key, double min, double max, Need need) {
    const auto* node = take(key, need);
    if (!node) return std::nullopt;
    const auto x = finite_number(*node);
    if (!x) {
        wrong(key, "a finite number");
        return std::nullopt;
    }
    if (*x < min || *x > max) {
        problem(key, name(key) + " = " + shortest(*x) + " is out of range [" + shortest(min) +
                         ", " + shortest(max) + "]");
        return std::nullopt;
    }
    return x;
}

std::optional<double> TableReader::number(std::string_view key, Need need) {
    return number(key, -HUGE_VAL, HUGE_VAL, need);
}

std::optional<bool> TableReader::boolean(std::string_view key, Need need) {
    const auto* node = take(key, need);
    if (!node) return std::nullopt;
    if (const auto* b = node->as_boolean()) return b->get();
    wrong(key, "true or false");
    return std::nullopt;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key, Need need) {
    const auto* node = take(key, need);
    if (!node) return std::nullopt;
    const auto* arr = node->as_array();
    std::vector<std::string> values;
    for (size_t i = 0; arr && i < arr->size(); ++i) {
        const auto* s = (*arr)[i].as_string();
        if (!s) {
            arr = nullptr;
            break;
        }
        values.push_back(s->get());
    }
    if (!arr) {
        wrong(key, "an array of strings");
        return std::nullopt;
    }
    return values;
}

const toml::table* TableReader::table(std::string_view key, Need need) {
    const auto* node = take(key, need);
    if (!node) return nullptr;
    const auto* t = node->as_table();
    if (!t) wrong(key, "a table");
    return t;
}

std::vector<const toml::table*> TableReader::collect(std::string_view key, const toml::node* node,
                                                     std::string_view must_be) {
    std::vector<const toml::table*> out;
    if (!node) return out;
    if (const auto* t = node->as_table()) {
        out.push_back(t);
        return out;
    }
    const auto* arr = node->as_array();
    if (!arr) {
        wrong(key, must_be);
        return out;
    }
    for (const auto& item : *arr) {
        if (const auto* t = item.as_table())
            out.push_back(t);
        else
            problem_at(item, "each entry of " + name(key) + " must be a table");
    }
    return out;
}

std::vector<const toml::table*> TableReader::tables(std::string_view key) {
    const std::string must_be = "an array of tables ([[" + std::string(key) + "]])";
    const auto* node = take(key, Need::optional);
    if (node && node->is_table()) {  // [key] where [[key]] belongs
        wrong(key, must_be);
        return {};
    }
    return collect(key, node, must_be);
}

std::vector<const toml::table*> TableReader::table_or_tables(std::string_view key) {
    return collect(key, take(key, Need::optional), "a table or an array of tables");
}

std::vector<TableReader::Entry> TableReader::entries() {
    std::vector<Entry> out;
    for (const auto& [key, node] : table_) {
        take(key.str(), Need::optional);
        const auto at = static_cast<unsigned>(key.source().begin.line);
        out.push_back(Entry{key.str(), node, at ? at : line_of_node(node)});
    }
    return out;
}

void TableReader::read(std::string_view key, std::string& out, Need need) {
    if (auto v = string(key, need)) out = std::move(*v);
}

void TableReader::read(std::string_view key, bool& out) {
    if (auto v = boolean(key)) out = *v;
}

void TableReader::read(std::string_view key, int& out, int64_t min, int64_t max, Need need) {
    if (auto v = integer(key, min, max, need)) out = static_cast<int>(*v);
}

void TableReader::read(std::string_view key, double& out, double min, double max, Need need) {
    if (auto v = number(key, min, max, need)) out = *v;
}

void TableReader::read(std::string_view key, std::vector<std::string>& out, Need need) {
    if (auto v = strings(key, need)) out = std::move(*v);
}

}  // namespace sealwatch
