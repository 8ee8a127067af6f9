#include "config/table_reader.hpp"

#include <cmath>

#include "common/text.hpp"

namespace sealwatch::config {

TableReader::TableReader(const toml::table& table, std::string_view file, std::string context,
                         std::vector<std::string>& problems)
    : table_(table), file_(file), context_(std::move(context)), problems_(problems) {}

TableReader::~TableReader() {
    for (const auto& [key, node] : table_) {
        if (seen_.count(key.str())) continue;
        problems_.push_back(located(file_, node.source(),
                                    "unknown key '" + std::string(key.str()) + "' in " + context_));
    }
}

unsigned TableReader::line() const {
    return static_cast<unsigned>(table_.source().begin.line);
}

unsigned TableReader::line_of(std::string_view key) const {
    if (const auto* node = table_.get(key)) return static_cast<unsigned>(node->source().begin.line);
    return line();
}

void TableReader::problem(std::string_view key, std::string_view message) {
    problems_.push_back(located(file_, line_of(key), message));
}

void TableReader::problem_here(std::string_view message) {
    problems_.push_back(located(file_, line(), message));
}

void TableReader::reject(std::string_view key, std::string_view message) {
    seen_.emplace(key);
    problem(key, message);
}

const toml::node* TableReader::take(std::string_view key) {
    seen_.emplace(key);
    return table_.get(key);
}

namespace {
std::string quoted(std::string_view key) {
    return "'" + std::string(key) + "'";
}
}  // namespace

void TableReader::string(std::string_view key, std::string& out, bool required) {
    const auto* node = take(key);
    if (!node) {
        if (required) problem_here(context_ + ": missing " + quoted(key));
        return;
    }
    if (const auto* s = node->as_string()) {
        out = s->get();
    } else {
        problem(key, quoted(key) + " must be a string");
    }
}

void TableReader::id(std::string_view key, std::string& out, bool required) {
    std::string value;
    const bool present = table_.contains(key);
    string(key, value, required);
    if (!present) return;
    if (!is_valid_id(value)) {
        problem(key, quoted(key) + " = \"" + value + "\" is not a valid id ([A-Za-z0-9_-]{1,64})");
        return;
    }
    out = value;
}

void TableReader::integer(std::string_view key, int& out, int64_t min, int64_t max, bool required) {
    const auto* node = take(key);
    if (!node) {
        if (required) problem_here(context_ + ": missing " + quoted(key));
        return;
    }
    const auto* v = node->as_integer();
    if (!v) {
        problem(key, quoted(key) + " must be an integer");
        return;
    }
    int64_t x = v->get();
    if (x < min || x > max) {
        problem(key, quoted(key) + " = " + std::to_string(x) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
        return;
    }
    out = static_cast<int>(x);
}

void TableReader::number(std::string_view key, double& out, double min, double max, bool required) {
    const auto* node = take(key);
    if (!node) {
        if (required) problem_here(context_ + ": missing " + quoted(key));
        return;
    }
    double x = 0;
    if (const auto* i = node->as_integer()) {
        x = static_cast<double>(i->get());
    } else if (const auto* f = node->as_floating_point()) {
        x = f->get();
    } else {
        problem(key, quoted(key) + " must be a number");
        return;
    }
    if (!std::isfinite(x) || x < min || x > max) {
        problem(key, quoted(key) + " = " + std::to_string(x) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
        return;
    }
    out = x;
}

void TableReader::boolean(std::string_view key, bool& out) {
    const auto* node = take(key);
    if (!node) return;
    if (const auto* b = node->as_boolean()) {
        out = b->get();
    } else {
        problem(key, quoted(key) + " must be true or false");
    }
}

void TableReader::strings(std::string_view key, std::vector<std::string>& out, bool required) {
    const auto* node = take(key);
    if (!node) {
        if (required) problem_here(context_ + ": missing " + quoted(key));
        return;
    }
    const auto* arr = node->as_array();
    if (!arr) {
        problem(key, quoted(key) + " must be an array of strings");
        return;
    }
    std::vector<std::string> values;
    for (const auto& item : *arr) {
        const auto* s = item.as_string();
        if (!s) {
            problem(key, quoted(key) + " must be an array of strings");
            return;
        }
        values.push_back(s->get());
    }
    out = std::move(values);
}

const toml::table* TableReader::table(std::string_view key) {
    const auto* node = take(key);
    if (!node) return nullptr;
    const auto* t = node->as_table();
    if (!t) problem(key, quoted(key) + " must be a table");
    return t;
}

std::vector<const toml::table*> TableReader::tables(std::string_view key) {
    std::vector<const toml::table*> out;
    const auto* node = take(key);
    if (!node) return out;
    const auto* arr = node->as_array();
    if (!arr || !arr->is_array_of_tables()) {
        problem(key, quoted(key) + " must be written as [[" + std::string(key) + "]] tables");
        return out;
    }
    for (const auto& item : *arr) out.push_back(item.as_table());
    return out;
}

}  // namespace sealwatch::config
