#include "profiles/profile.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <toml++/toml.h>

#include "common/problem_log.hpp"
#include "common/quantities.hpp"
#include "common/significant.hpp"
#include "common/table_reader.hpp"
#include "common/toml_document.hpp"

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

using Need = TableReader::Need;

std::optional<Table> table_at(TableReader& r) {
    auto s = r.string("table");
    if (!s) return std::nullopt;
    if (*s == "holding") return Table::holding;
    if (*s == "input") return Table::input;
    r.problem("table", r.name("table") + " is '" + *s + "', expected 'holding' or 'input'");
    return std::nullopt;
}

std::optional<ValueType> type_at(TableReader& r) {
    auto s = r.string("type");
    if (!s) return std::nullopt;
    if (auto t = modbus::parse_value_type(*s)) return t;
    r.problem("type", r.name("type") + " is '" + *s +
                          "', expected u16, i16, u32, i32, u64, i64, f32 or f64");
    return std::nullopt;
}

// An order spelled for any width (AB.., ABCD.., ABCDEFGH..); with a type given, the spelling must
// fit that type's width.
std::optional<Order> order_at(TableReader& r, std::optional<ValueType> type) {
    auto s = r.string("order");
    if (!s) return std::nullopt;
    Encoding enc;
    for (ValueType t : {ValueType::u16, ValueType::u32, ValueType::u64}) {
        enc.type = t;
        if (modbus::parse_byte_order(*s, enc)) {
            if (type && modbus::register_count(*type) != modbus::register_count(t)) {
                r.problem("order", r.name("order") + " = '" + *s + "' does not fit type " +
                                       std::string(modbus::to_string(*type)));
                return std::nullopt;
            }
            return Order{enc.word_swap, enc.byte_swap};
        }
    }
    r.problem("order", r.name("order") + " is '" + *s +
                           "', expected AB/BA, ABCD/CDAB/BADC/DCBA or "
                           "ABCDEFGH/GHEFCDAB/BADCFEHG/HGFEDCBA");
    return std::nullopt;
}

// The raw bits that mean "not available": either the unsigned pattern of the field's width
// (0xFFC00000) or its signed value (-1).
std::optional<uint64_t> not_available_at(TableReader& r, int register_count) {
    auto v = r.integer("not_available", INT64_MIN, INT64_MAX);
    if (!v) return std::nullopt;
    const unsigned bits = 16u * static_cast<unsigned>(register_count);
    const bool fits = bits == 64 || (*v >= 0 && *v < (int64_t{1} << bits)) ||
                      (*v < 0 && *v >= -(int64_t{1} << (bits - 1)));
    if (!fits) {
        r.problem("not_available",
                  r.name("not_available") + " does not fit in " + std::to_string(bits) + " bits");
        return std::nullopt;
    }
    auto raw = static_cast<uint64_t>(*v);
    if (bits < 64) raw &= (uint64_t{1} << bits) - 1;
    return raw;
}

// One field table (or [serial]); nullopt if it has a problem.
std::optional<Field> field(const toml::table& tbl, std::string quantity, const Defaults& def,
                           ProblemLog& log) {
    const bool is_serial = quantity == "serial";
    const size_t before = log.size();
    Field f;
    {
        TableReader r(tbl, is_serial ? "[serial]" : "field '" + quantity + "'", log);
        f.table = table_at(r).value_or(def.table);
        f.encoding.type = type_at(r).value_or(def.type);
        // An explicit order must fit the type; the default one applies its switches to any width
        // (a 16-bit value has no words to swap).
        const Order order = order_at(r, f.encoding.type).value_or(def.order);
        f.encoding.word_swap = order.word_swap;
        f.encoding.byte_swap = order.byte_swap;
        const int count = modbus::register_count(f.encoding.type);
        if (auto a = r.integer("address", 0, 0x10000 - count, Need::required))
            f.address = static_cast<uint16_t>(*a);
        if (!is_serial) {
            if (auto s = r.number("scale")) {
                if (*s == 0.0) r.problem("scale", r.name("scale") + " must not be 0");
                f.scale = *s;
            }
            if (auto o = r.number("offset")) f.offset = *o;
            f.not_available = not_available_at(r, count);
        }
    }  // unknown keys are reported here
    f.quantity = std::move(quantity);
    if (log.size() != before) return std::nullopt;
    return f;
}

// A required string that says something.
std::string required_text(TableReader& r, std::string_view key) {
    auto s = r.string(key, Need::required);
    if (s && s->empty()) r.problem(key, r.name(key) + " is empty");
    return s.value_or("");
}

// Every key of the file, checked; `prof` gets what is valid.
void read_profile(const toml::table& root, ProblemLog& log, Profile& prof) {
    TableReader r(root, "", log);
    prof.id = r.id("id").value_or("");
    prof.manufacturer = required_text(r, "manufacturer");
    prof.model = required_text(r, "model");
    prof.source = required_text(r, "source");
    (void)r.string("notes");
    if (auto protocol = r.string("protocol")) {
        if (*protocol == to_string(Protocol::dlt645)) {
            prof.protocol = Protocol::dlt645;
        } else if (*protocol != to_string(Protocol::modbus)) {
            r.problem("protocol", r.name("protocol") + " is '" + *protocol +
                                      "', expected 'modbus' or 'dlt645'");
        }
    }
    if (prof.protocol == Protocol::dlt645) {
        // Identifiers, not registers: [defaults], [read] and [serial] are unknown keys here.
        dlt645::read_data_map(r, prof.identifiers);
        return;
    }

    Defaults def;
    if (const toml::table* d = r.table("defaults")) {
        TableReader dr(*d, "[defaults]", log);
        def.table = table_at(dr).value_or(def.table);
        def.type = type_at(dr).value_or(def.type);
        def.order = order_at(dr, std::nullopt).value_or(def.order);
    }

    if (const toml::table* rd = r.table("read")) {
        TableReader rr(*rd, "[read]", log);
        if (auto g = rr.integer("max_gap", 0, modbus::kMaxReadRegisters))
            prof.plan.max_gap = static_cast<uint16_t>(*g);
        if (auto m = rr.integer("max_registers", 1, modbus::kMaxReadRegisters))
            prof.plan.max_registers = static_cast<uint16_t>(*m);
        if (const toml::node* b = rr.node("barriers")) {
            if (!b->is_array()) {
                rr.problem("barriers", rr.name("barriers") + " must be an array of addresses");
            } else {
                for (const toml::node& e : *b->as_array()) {
                    auto v = e.value_exact<int64_t>();
                    if (!v || *v < 0 || *v > 0xFFFF) {
                        rr.problem_at(e,
                                      rr.name("barriers") + ": each must be an address 0..65535");
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

    if (const toml::table* s = r.table("serial")) prof.serial = field(*s, "serial", def, log);

    // Lines of accepted fields, for the cross-field checks below.
    std::vector<unsigned> lines;
    if (const toml::table* fields = r.table("fields")) {
        TableReader fr(*fields, "[fields]", log);
        for (const auto& [key, node, line] : fr.entries()) {
            const std::string q(key);
            if (!is_quantity(q)) {
                std::string list;
                for (auto k : kQuantities) list += (list.empty() ? "" : " ") + std::string(k);
                log.add(line, "unknown quantity '" + q + "' (known: " + list + ")");
                continue;
            }
            if (!node.is_table()) {
                log.add(line,
                        "field '" + q + "' must be a table, e.g. " + q + " = { address = 0x0000 }");
                continue;
            }
            if (auto f = field(*node.as_table(), q, def, log)) {
                prof.fields.push_back(std::move(*f));
                lines.push_back(line);
            }
        }
        if (fields->empty()) fr.problem_here("[fields] is empty");
    } else if (!r.has("fields")) {
        r.problem_here("missing [fields]");
    }

    // Cross-field checks: two fields in the same registers are a typo; a field across a barrier
    // or longer than one read may be could never be read.
    for (size_t i = 0; i < prof.fields.size(); ++i) {
        const Field& a = prof.fields[i];
        const int a_count = modbus::register_count(a.encoding.type);
        const uint32_t a_end = uint32_t{a.address} + uint32_t(a_count);
        if (prof.plan.max_registers > 0 && a_count > prof.plan.max_registers)
            log.add(lines[i], "field '" + a.quantity + "' takes " + std::to_string(a_count) +
                                  " registers, more than [read] max_registers = " +
                                  std::to_string(prof.plan.max_registers) + " allows in one read");
        for (size_t j = 0; j < i; ++j) {
            const Field& b = prof.fields[j];
            const uint32_t b_end =
                uint32_t{b.address} + uint32_t(modbus::register_count(b.encoding.type));
            if (a.table == b.table && a.address < b_end && b.address < a_end)
                log.add(lines[i], "field '" + a.quantity + "' overlaps the registers of field '" +
                                      b.quantity + "' (line " + std::to_string(lines[j]) + ")");
        }
        for (uint16_t bar : prof.plan.barriers)
            if (a.address < bar && bar < a_end)
                log.add(lines[i],
                        "field '" + a.quantity + "' spans barrier " + std::to_string(bar));
    }
}

}  // namespace

std::string_view to_string(Protocol protocol) {
    switch (protocol) {
        case Protocol::modbus:
            return "modbus";
        case Protocol::dlt645:
            return "dlt645";
    }
    return "?";
}

tl::expected<Profile, std::vector<std::string>> parse_profile(std::string_view text,
                                                              std::string_view file_name) {
    ProblemLog log{std::string(file_name)};
    auto root = parse_toml(text, log);
    if (!root) return tl::unexpected(log.in_file_order());
    Profile prof;
    prof.origin = std::string(file_name);
    read_profile(*root, log, prof);
    if (!log.empty()) return tl::unexpected(log.in_file_order());
    return prof;
}

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
