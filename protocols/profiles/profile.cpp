#include "profiles/profile.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <toml++/toml.h>

#include "common/quantities.hpp"
#include "common/text.hpp"

namespace sealwatch::profiles {

namespace {

using modbus::Encoding;
using modbus::Table;
using modbus::ValueType;

// The byte order as two switches, before we know the width of the value it applies to.
struct Order {
    bool word_swap = false;
    bool byte_swap = false;
};

// What [defaults] says, applied to every field and to [serial] unless they say otherwise.
struct Defaults {
    Table table = Table::holding;
    ValueType type = ValueType::f32;
    Order order;
};

// Collects problems as "FILE:LINE: message"; every check reports and carries on.
class Parser {
  public:
    explicit Parser(std::string_view file) : file_(file) {}

    void problem(const toml::source_region& where, std::string_view msg) {
        problems_.push_back(located(file_, where, msg));
    }
    void problem(unsigned line, std::string_view msg) {
        problems_.push_back(located(file_, line, msg));
    }
    std::vector<std::string>& problems() { return problems_; }

    // Reports every key of tbl not in allowed. where names the table in messages.
    void check_keys(const toml::table& tbl, std::initializer_list<std::string_view> allowed,
                    std::string_view where) {
        for (auto&& [key, node] : tbl) {
            if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
            std::string msg = "unknown key '" + std::string(key.str()) + "'";
            if (!where.empty()) msg += " in " + std::string(where);
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            msg += " (expected one of: " + list + ")";
            problem(key.source(), msg);
        }
    }

    std::optional<std::string> string_at(const toml::table& tbl, std::string_view key,
                                         std::string_view where) {
        const toml::node* n = tbl.get(key);
        if (!n) return std::nullopt;
        if (auto s = n->value<std::string>(); s && n->is_string()) return *s;
        problem(n->source(),
                "'" + std::string(key) + "'" + std::string(where) + " must be a string");
        return std::nullopt;
    }

    std::string required_string(const toml::table& tbl, std::string_view key) {
        if (!tbl.get(key)) {
            problem(1, "missing required key '" + std::string(key) + "'");
            return {};
        }
        auto s = string_at(tbl, key, "");
        if (s && s->empty()) problem(tbl.get(key)->source(), "'" + std::string(key) + "' is empty");
        return s.value_or("");
    }

    std::optional<int64_t> integer_at(const toml::table& tbl, std::string_view key, int64_t lo,
                                      int64_t hi, std::string_view where) {
        const toml::node* n = tbl.get(key);
        if (!n) return std::nullopt;
        if (!n->is_integer()) {
            problem(n->source(),
                    "'" + std::string(key) + "'" + std::string(where) + " must be an integer");
            return std::nullopt;
        }
        const int64_t v = n->as_integer()->get();
        if (v < lo || v > hi) {
            problem(n->source(), "'" + std::string(key) + "'" + std::string(where) + " is " +
                                     std::to_string(v) + ", outside " + std::to_string(lo) + ".." +
                                     std::to_string(hi));
            return std::nullopt;
        }
        return v;
    }

    std::optional<double> number_at(const toml::table& tbl, std::string_view key,
                                    std::string_view where) {
        const toml::node* n = tbl.get(key);
        if (!n) return std::nullopt;
        std::optional<double> v;
        if (n->is_floating_point()) v = n->as_floating_point()->get();
        if (n->is_integer()) v = static_cast<double>(n->as_integer()->get());
        if (!v || !std::isfinite(*v)) {
            problem(n->source(),
                    "'" + std::string(key) + "'" + std::string(where) + " must be a finite number");
            return std::nullopt;
        }
        return v;
    }

    std::optional<Table> table_at(const toml::table& tbl, std::string_view where) {
        auto s = string_at(tbl, "table", where);
        if (!s) return std::nullopt;
        if (*s == "holding") return Table::holding;
        if (*s == "input") return Table::input;
        problem(tbl.get("table")->source(),
                "'table'" + std::string(where) + " is '" + *s + "', expected 'holding' or 'input'");
        return std::nullopt;
    }

    std::optional<ValueType> type_at(const toml::table& tbl, std::string_view where) {
        auto s = string_at(tbl, "type", where);
        if (!s) return std::nullopt;
        if (auto t = modbus::parse_value_type(*s)) return t;
        problem(tbl.get("type")->source(), "'type'" + std::string(where) + " is '" + *s +
                                               "', expected u16, i16, u32, i32, u64, i64, f32 "
                                               "or f64");
        return std::nullopt;
    }

    // An order spelled for any width (AB.., ABCD.., ABCDEFGH..); with a type given, the
    // spelling must fit that type's width.
    std::optional<Order> order_at(const toml::table& tbl, std::optional<ValueType> type,
                                  std::string_view where) {
        auto s = string_at(tbl, "order", where);
        if (!s) return std::nullopt;
        Encoding enc;
        for (ValueType t : {ValueType::u16, ValueType::u32, ValueType::u64}) {
            enc.type = t;
            if (modbus::parse_byte_order(*s, enc)) {
                if (type && modbus::register_count(*type) != modbus::register_count(t)) {
                    problem(tbl.get("order")->source(), "'order'" + std::string(where) + " '" + *s +
                                                            "' does not fit type " +
                                                            std::string(modbus::to_string(*type)));
                    return std::nullopt;
                }
                return Order{enc.word_swap, enc.byte_swap};
            }
        }
        problem(tbl.get("order")->source(), "'order'" + std::string(where) + " is '" + *s +
                                                "', expected AB/BA, ABCD/CDAB/BADC/DCBA or "
                                                "ABCDEFGH/GHEFCDAB/BADCFEHG/HGFEDCBA");
        return std::nullopt;
    }

    // One field table (or [serial]); nullopt if it has a problem.
    std::optional<Field> field(const toml::table& tbl, std::string quantity, const Defaults& def,
                               bool is_serial) {
        const std::string where = is_serial ? " in [serial]" : " of field '" + quantity + "'";
        const size_t before = problems_.size();
        if (is_serial)
            check_keys(tbl, {"table", "address", "type", "order"}, "[serial]");
        else
            check_keys(tbl,
                       {"address", "table", "type", "order", "scale", "offset", "not_available"},
                       "field '" + quantity + "'");
        Field f;
        f.quantity = std::move(quantity);
        f.table = table_at(tbl, where).value_or(def.table);
        const auto type = type_at(tbl, where);
        f.encoding.type = type.value_or(def.type);
        // An explicit order must fit the type; the default one applies its switches to any width
        // (a 16-bit value has no words to swap).
        const Order order =
            tbl.get("order") ? order_at(tbl, f.encoding.type, where).value_or(Order{}) : def.order;
        f.encoding.word_swap = order.word_swap;
        f.encoding.byte_swap = order.byte_swap;
        const int count = modbus::register_count(f.encoding.type);
        if (!tbl.get("address")) {
            problem(tbl.source(), "missing 'address'" + where);
        } else if (auto a = integer_at(tbl, "address", 0, 0x10000 - count, where)) {
            f.address = static_cast<uint16_t>(*a);
        }
        if (auto s = number_at(tbl, "scale", where)) {
            if (*s == 0.0)
                problem(tbl.get("scale")->source(), "'scale'" + where + " must not be 0");
            f.scale = *s;
        }
        if (auto o = number_at(tbl, "offset", where)) f.offset = *o;
        if (const toml::node* n = tbl.get("not_available")) {
            const unsigned bits = 16u * static_cast<unsigned>(count);
            if (!n->is_integer()) {
                problem(n->source(), "'not_available'" + where + " must be an integer");
            } else {
                const int64_t v = n->as_integer()->get();
                // Either the unsigned pattern (0xFFC00000) or the signed value (-1) of the width.
                const bool fits = bits == 64 || (v >= 0 && v < (int64_t{1} << bits)) ||
                                  (v < 0 && v >= -(int64_t{1} << (bits - 1)));
                if (!fits) {
                    problem(n->source(), "'not_available'" + where + " does not fit in " +
                                             std::to_string(bits) + " bits");
                } else {
                    uint64_t raw = static_cast<uint64_t>(v);
                    if (bits < 64) raw &= (uint64_t{1} << bits) - 1;
                    f.not_available = raw;
                }
            }
        }
        if (problems_.size() != before) return std::nullopt;
        return f;
    }

  private:
    std::string file_;
    std::vector<std::string> problems_;
};

// The line of a field's table (or of the key naming it, for inline tables).
unsigned line_of(const toml::node& n) {
    return static_cast<unsigned>(n.source().begin.line);
}

}  // namespace

tl::expected<Profile, std::vector<std::string>> parse_profile(std::string_view text,
                                                              std::string_view file_name) {
    Parser p(file_name);
    toml::table root;
#if TOML_EXCEPTIONS
    try {
        root = toml::parse(text, file_name);
    } catch (const toml::parse_error& e) {
        p.problem(e.source(), e.description());
        return tl::unexpected(std::move(p.problems()));
    }
#else
    toml::parse_result parsed = toml::parse(text, file_name);
    if (!parsed) {
        p.problem(parsed.error().source(), parsed.error().description());
        return tl::unexpected(std::move(p.problems()));
    }
    root = std::move(parsed).table();
#endif

    p.check_keys(
        root,
        {"id", "manufacturer", "model", "source", "notes", "defaults", "read", "serial", "fields"},
        "");
    Profile prof;
    prof.id = p.required_string(root, "id");
    if (!prof.id.empty() && !is_valid_id(prof.id))
        p.problem(root.get("id")->source(),
                  "'id' is '" + prof.id + "'; use 1-64 of A-Z a-z 0-9 _ -");
    prof.manufacturer = p.required_string(root, "manufacturer");
    prof.model = p.required_string(root, "model");
    prof.source = p.required_string(root, "source");
    (void)p.string_at(root, "notes", "");
    prof.origin = std::string(file_name);

    // Every section must be a table; a scalar where a table belongs is reported once.
    auto section = [&](std::string_view key) -> const toml::table* {
        const toml::node* n = root.get(key);
        if (!n) return nullptr;
        if (!n->is_table()) {
            p.problem(n->source(), "'" + std::string(key) + "' must be a table");
            return nullptr;
        }
        return n->as_table();
    };

    Defaults def;
    if (const toml::table* d = section("defaults")) {
        p.check_keys(*d, {"table", "type", "order"}, "[defaults]");
        def.table = p.table_at(*d, " in [defaults]").value_or(def.table);
        def.type = p.type_at(*d, " in [defaults]").value_or(def.type);
        def.order = p.order_at(*d, std::nullopt, " in [defaults]").value_or(def.order);
    }

    if (const toml::table* r = section("read")) {
        p.check_keys(*r, {"max_gap", "max_registers", "barriers"}, "[read]");
        if (auto g = p.integer_at(*r, "max_gap", 0, modbus::kMaxReadRegisters, " in [read]"))
            prof.plan.max_gap = static_cast<uint16_t>(*g);
        if (auto m = p.integer_at(*r, "max_registers", 1, modbus::kMaxReadRegisters, " in [read]"))
            prof.plan.max_registers = static_cast<uint16_t>(*m);
        if (const toml::node* b = r->get("barriers")) {
            if (!b->is_array()) {
                p.problem(b->source(), "'barriers' in [read] must be an array of addresses");
            } else {
                for (const toml::node& e : *b->as_array()) {
                    auto v = e.value<int64_t>();
                    if (!e.is_integer() || !v || *v < 0 || *v > 0xFFFF) {
                        p.problem(e.source(),
                                  "'barriers' in [read]: each must be an address 0..65535");
                        continue;
                    }
                    prof.plan.barriers.push_back(static_cast<uint16_t>(*v));
                }
                std::sort(prof.plan.barriers.begin(), prof.plan.barriers.end());
                prof.plan.barriers.erase(
                    std::unique(prof.plan.barriers.begin(), prof.plan.barriers.end()),
                    prof.plan.barriers.end());
            }
        }
    }

    if (const toml::table* s = section("serial")) {
        prof.serial = p.field(*s, "serial", def, true);
    }

    // Lines of accepted fields, for the cross-field checks below.
    std::vector<unsigned> lines;
    if (const toml::table* fields = section("fields")) {
        for (auto&& [key, node] : *fields) {
            const std::string q(key.str());
            if (!is_quantity(q)) {
                std::string list;
                for (auto k : kQuantities) list += (list.empty() ? "" : " ") + std::string(k);
                p.problem(key.source(), "unknown quantity '" + q + "' (known: " + list + ")");
                continue;
            }
            if (!node.is_table()) {
                p.problem(node.source(), "field '" + q + "' must be a table, e.g. " + q +
                                             " = { address = 0x0000 }");
                continue;
            }
            if (auto f = p.field(*node.as_table(), q, def, false)) {
                prof.fields.push_back(std::move(*f));
                lines.push_back(static_cast<unsigned>(key.source().begin.line));
            }
        }
        if (fields->empty()) p.problem(line_of(*fields), "[fields] is empty");
    } else if (!root.get("fields")) {
        p.problem(1, "missing [fields]");
    }

    // Cross-field checks: two fields in the same registers are a typo; a field across a barrier
    // could never be read.
    for (size_t i = 0; i < prof.fields.size(); ++i) {
        const Field& a = prof.fields[i];
        const uint32_t a_end =
            uint32_t{a.address} + uint32_t(modbus::register_count(a.encoding.type));
        for (size_t j = 0; j < i; ++j) {
            const Field& b = prof.fields[j];
            const uint32_t b_end =
                uint32_t{b.address} + uint32_t(modbus::register_count(b.encoding.type));
            if (a.table == b.table && a.address < b_end && b.address < a_end)
                p.problem(lines[i], "field '" + a.quantity + "' overlaps the registers of field '" +
                                        b.quantity + "' (line " + std::to_string(lines[j]) + ")");
        }
        for (uint16_t bar : prof.plan.barriers)
            if (a.address < bar && bar < a_end)
                p.problem(lines[i],
                          "field '" + a.quantity + "' spans barrier " + std::to_string(bar));
    }

    if (!p.problems().empty()) return tl::unexpected(std::move(p.problems()));
    return prof;
}

namespace {

// The double nearest to `v` written with `digits` significant digits.
double round_significant(double v, int digits) {
    char buf[40];
    auto w = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
    double out = v;
    std::from_chars(buf, w.ptr, out);
    return out;
}

}  // namespace

std::optional<double> field_value(const Field& field, std::span<const uint16_t> regs) {
    if (regs.size() < static_cast<size_t>(modbus::register_count(field.encoding.type)))
        return std::nullopt;
    if (field.not_available && modbus::raw_bits(regs, field.encoding) == *field.not_available)
        return std::nullopt;
    double raw = modbus::decode(regs, field.encoding);
    if (!std::isfinite(raw)) return std::nullopt;
    // Decode once into the value the meter meant: a float32 230.1 is 230.1, not
    // 230.10000610351562, and 1234567 x 0.01 kWh is 12345.67, not 12345.670000000002. Telemetry,
    // exports and evidence then carry the meter's own digits.
    const bool is_f32 = field.encoding.type == modbus::ValueType::f32;
    if (is_f32) {
        char buf[32];
        auto w = std::to_chars(buf, buf + sizeof buf, static_cast<float>(raw));  // shortest
        std::from_chars(buf, w.ptr, raw);
    }
    if (field.scale == 1.0 && field.offset == 0.0) return raw;
    return round_significant(raw * field.scale + field.offset, is_f32 ? 9 : 15);
}

std::vector<modbus::Block> plan_reads(const Profile& profile) {
    std::vector<modbus::Span> spans;
    spans.reserve(profile.fields.size());
    for (const auto& f : profile.fields)
        spans.push_back(modbus::Span{
            f.table, f.address, static_cast<uint16_t>(modbus::register_count(f.encoding.type))});
    return modbus::plan_blocks(spans, profile.plan);
}

}  // namespace sealwatch::profiles
