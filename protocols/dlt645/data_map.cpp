#include "dlt645/data_map.hpp"

#include <algorithm>
#include <cmath>

#include "common/quantities.hpp"
#include "dlt645/bcd.hpp"

namespace sealwatch::dlt645 {

namespace {

using Need = TableReader::Need;

constexpr int64_t kMaxId = 0xFFFFFFFF;
constexpr int64_t kMaxBytes = 8;  // 16 digits, what decode_bcd holds
constexpr int64_t kMaxValueBytes = 200;

double power_of_ten(int n) {
    double p = 1.0;
    for (int i = 0; i < n; ++i) p *= 10.0;
    return p;
}

std::optional<Field> field(const toml::table& tbl, const std::string& quantity, ProblemLog& log) {
    const size_t before = log.size();
    Field f;
    f.quantity = quantity;
    TableReader r(tbl, "field '" + quantity + "'", log);
    if (auto id = r.integer("di", 0, kMaxId, Need::required)) f.id = static_cast<DataId>(*id);
    if (auto b = r.integer("bytes", 1, kMaxBytes, Need::required))
        f.bytes = static_cast<uint8_t>(*b);
    if (auto d = r.integer("decimals", 0, 2 * kMaxBytes)) f.decimals = static_cast<uint8_t>(*d);
    r.read("signed", f.is_signed);
    if (f.decimals > 2 * f.bytes)
        r.problem("decimals", r.name("decimals") + " exceeds the digits of " +
                                  std::to_string(f.bytes) + " bytes");
    if (log.size() != before) return std::nullopt;
    return f;
}

// `key` as one identifier or an array of them.
std::vector<DataId> ids_at(TableReader& r, const char* key, Need need) {
    std::vector<DataId> ids;
    const toml::node* n = r.node(key, need);
    if (!n) return ids;
    auto one = [&](const toml::node& e) {
        auto v = e.value_exact<int64_t>();
        if (!v || *v < 0 || *v > kMaxId) {
            r.problem_at(e, r.name(key) + " must be a data identifier 0x00000000..0xFFFFFFFF");
            return;
        }
        ids.push_back(static_cast<DataId>(*v));
    };
    if (const toml::array* a = n->as_array()) {
        for (const toml::node& e : *a) one(e);
        if (a->empty()) r.problem(key, r.name(key) + " is empty");
    } else {
        one(*n);
    }
    return ids;
}

std::optional<EventCount> event_count(const toml::table& tbl, ProblemLog& log) {
    const size_t before = log.size();
    EventCount c;
    TableReader r(tbl, "[[event_count]]", log);
    if (auto e = r.string("event", Need::required)) {
        if (std::find(std::begin(kMeterEvents), std::end(kMeterEvents), *e) ==
            std::end(kMeterEvents)) {
            std::string list;
            for (auto k : kMeterEvents) list += (list.empty() ? "" : ", ") + std::string(k);
            r.problem("event", r.name("event") + " is '" + *e + "', expected one of: " + list);
        }
        c.event = *e;
    }
    r.read("what", c.what, Need::required);
    r.read("family", c.family);
    if (r.has("family") && c.family.empty()) r.problem("family", r.name("family") + " is empty");
    c.ids = ids_at(r, "di", Need::required);
    c.records = ids_at(r, "record", Need::optional);
    if (auto at = r.integer("record_time_at", 0, kMaxValueBytes - kMeterTimeBytes))
        c.record_time_at = static_cast<uint8_t>(*at);
    if (r.has("record_time_at") && c.records.empty())
        r.problem("record_time_at", r.name("record_time_at") + " needs 'record'");
    if (auto b = r.integer("bytes", kCountBytes, kMaxValueBytes))
        c.bytes = static_cast<uint8_t>(*b);
    if (const toml::node* at = r.node("counts_at")) {
        c.counts_at.clear();
        const toml::array* a = at->as_array();
        if (!a || a->empty()) r.problem("counts_at", r.name("counts_at") + " must be a list");
        if (a)
            for (const toml::node& e : *a) {
                auto v = e.value_exact<int64_t>();
                if (!v || *v < 0 || *v + kCountBytes > c.bytes) {
                    r.problem_at(e, r.name("counts_at") + ": each must be an offset of a " +
                                        "3-byte count within 'bytes'");
                    continue;
                }
                c.counts_at.push_back(static_cast<uint8_t>(*v));
            }
    }
    if (log.size() != before) return std::nullopt;
    return c;
}

}  // namespace

std::vector<std::string> DataMap::families() const {
    std::vector<std::string> out;
    for (const auto& c : event_counts)
        if (!c.family.empty() && std::find(out.begin(), out.end(), c.family) == out.end())
            out.push_back(c.family);
    return out;
}

void read_data_map(TableReader& profile, DataMap& out) {
    ProblemLog& log = profile.log();
    if (const toml::table* fields = profile.table("fields", Need::required)) {
        TableReader fr(*fields, "[fields]", log);
        for (const auto& [key, node, line] : fr.entries()) {
            const std::string q(key);
            if (!is_quantity(q)) {
                log.add(line, "unknown quantity '" + q + "'");
                continue;
            }
            if (!node.is_table()) {
                log.add(line, "field '" + q + "' must be a table, e.g. " + q +
                                  " = { di = 0x02010100, bytes = 2, decimals = 1 }");
                continue;
            }
            if (auto f = field(*node.as_table(), q, log)) out.fields.push_back(std::move(*f));
        }
        if (fields->empty()) fr.problem_here("[fields] is empty");
    }
    for (const toml::table* t : profile.tables("event_count"))
        if (auto c = event_count(*t, log)) out.event_counts.push_back(std::move(*c));
}

std::optional<double> field_value(const Field& field, std::span<const uint8_t> value) {
    if (value.size() != field.bytes) return std::nullopt;
    auto raw = decode_bcd(value, field.is_signed);
    if (!raw) return std::nullopt;
    // Division by an exact power of ten gives the double nearest the meter's decimal digits
    // (2201 / 10 is 220.1, where 2201 * 0.1 would be 220.10000000000002).
    return static_cast<double>(*raw) / power_of_ten(field.decimals);
}

std::optional<uint64_t> count_value(const EventCount& count, std::span<const uint8_t> value) {
    if (value.size() != count.bytes) return std::nullopt;
    uint64_t sum = 0;
    for (uint8_t at : count.counts_at) {
        // The profile reader keeps every offset within `bytes`; a count made elsewhere (the
        // fuzz target makes any) must not read past the value.
        if (size_t{at} + kCountBytes > value.size()) return std::nullopt;
        auto n = decode_bcd(value.subspan(at, kCountBytes), false);
        if (!n) return std::nullopt;
        sum += static_cast<uint64_t>(*n);
    }
    return sum;
}

std::optional<MeterTime> record_time(const EventCount& count, std::span<const uint8_t> record) {
    if (size_t{count.record_time_at} + kMeterTimeBytes > record.size()) return std::nullopt;
    return decode_meter_time(record.subspan(count.record_time_at, kMeterTimeBytes));
}

std::vector<uint8_t> encode_field(const Field& field, double value) {
    // A signed field's top digit shares its byte with the sign bit: it runs 0..7.
    const int digits = 2 * field.bytes;
    const double limit =
        (field.is_signed ? 8 * power_of_ten(digits - 1) : power_of_ten(digits)) - 1;
    double raw = std::round(value * power_of_ten(field.decimals));
    if (!std::isfinite(raw)) raw = 0;
    raw = std::clamp(raw, field.is_signed ? -limit : 0.0, limit);
    // Within the digits, so encode_bcd cannot refuse.
    return encode_bcd(static_cast<int64_t>(raw), field.bytes, field.is_signed)
        .value_or(std::vector<uint8_t>(field.bytes, 0));
}

}  // namespace sealwatch::dlt645
