#include "wire/telemetry.hpp"

#include <limits>

#include "common/quantities.hpp"

namespace sealwatch::wire {

void append_reading(std::string& out, std::string_view meter, WallMs ts,
                    std::span<const QuantityValue> values, const std::string* serial,
                    bool clock_unsynced) {
    out += "{\"meter\":";
    append_json_string(out, meter);
    out += ",\"ts\":\"";
    out += format_rfc3339(ts);
    out += "\",\"values\":{";
    bool first = true;
    for (const auto& v : values) {
        if (!first) out += ',';
        first = false;
        out += '"';
        out += kQuantities[v.quantity];
        out += "\":";
        append_json_number(out, v.value);
    }
    out += '}';
    if (serial) {
        out += ",\"serial\":";
        append_json_string(out, *serial);
    }
    if (clock_unsynced) out += ",\"clock_unsynced\":true";  // absent otherwise (contract)
    out += '}';
}

std::string reading_json(const Reading& reading) {
    std::string out;
    append_reading(out, reading.meter, reading.wall_ms, reading.values,
                   reading.serial ? &*reading.serial : nullptr, reading.clock_unsynced);
    return out;
}

TelemetryWriter::TelemetryWriter(uint64_t seq)
    : out_("{\"seq\":" + std::to_string(seq) + ",\"readings\":[") {}

void TelemetryWriter::add(std::string_view meter, WallMs ts, std::span<const QuantityValue> values,
                          const std::string* serial, bool clock_unsynced) {
    if (!first_) out_ += ',';
    first_ = false;
    append_reading(out_, meter, ts, values, serial, clock_unsynced);
}

void TelemetryWriter::add(const Reading& r) {
    add(r.meter, r.wall_ms, r.values, r.serial ? &*r.serial : nullptr, r.clock_unsynced);
}

std::string TelemetryWriter::finish() {
    out_ += "]}";
    return std::move(out_);
}

namespace {

// The rollup's optional members, in their order on the wire.
struct RollupValue {
    const char* name;
    std::optional<double> Rollup::*member;
};
constexpr RollupValue kRollupValues[] = {{"p_min_w", &Rollup::p_min_w},
                                         {"p_avg_w", &Rollup::p_avg_w},
                                         {"p_max_w", &Rollup::p_max_w},
                                         {"e_imp_kwh", &Rollup::e_imp_kwh},
                                         {"e_exp_kwh", &Rollup::e_exp_kwh}};

}  // namespace

RollupWriter::RollupWriter(uint64_t seq)
    : out_("{\"seq\":" + std::to_string(seq) + ",\"rollups\":[") {}

void RollupWriter::add(const Rollup& r) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += "{\"meter\":";
    append_json_string(out_, r.meter);
    out_ += ",\"minute\":\"" + format_rfc3339(r.minute) + "\",\"n\":" + std::to_string(r.n);
    for (const auto& v : kRollupValues) {
        const auto& value = r.*v.member;
        if (!value) continue;
        out_ += ",\"";
        out_ += v.name;
        out_ += "\":";
        append_json_number(out_, *value);
    }
    out_ += '}';
}

std::string RollupWriter::finish() {
    out_ += "]}";
    return std::move(out_);
}

namespace {

constexpr int64_t kMaxSeq = std::numeric_limits<int64_t>::max();

Result<Reading> parse_reading(const nlohmann::ordered_json& j, const Limits& limits) {
    if (!j.is_object()) return fail("not an object");
    Fields f(j, limits);
    Reading r;
    auto meter = f.text("meter");
    if (!meter) return tl::unexpected(meter.error());
    r.meter = std::move(*meter);
    auto ts = f.time("ts");
    if (!ts) return tl::unexpected(ts.error());
    r.wall_ms = *ts;
    auto values = f.object("values");
    if (!values) return tl::unexpected(values.error());
    for (const auto& [name, value] : (*values)->items()) {
        auto q = find_quantity(name);
        if (!q) continue;  // a newer gateway's quantity
        if (!value.is_number() && !value.is_null())
            return fail("values: " + name + ": not a number");
        r.values.push_back({static_cast<uint8_t>(*q), value.is_null()
                                                          ? std::numeric_limits<double>::quiet_NaN()
                                                          : value.get<double>()});
    }
    if (f.has("serial")) {
        auto serial = f.text("serial", true);
        if (!serial) return tl::unexpected(serial.error());
        r.serial = std::move(*serial);
    }
    if (f.has("clock_unsynced")) {
        auto unsynced = f.flag("clock_unsynced");
        if (!unsynced) return tl::unexpected(unsynced.error());
        r.clock_unsynced = *unsynced;
    }
    return r;
}

Result<Rollup> parse_rollup(const nlohmann::ordered_json& j, const Limits& limits) {
    if (!j.is_object()) return fail("not an object");
    Fields f(j, limits);
    Rollup r;
    auto meter = f.text("meter");
    if (!meter) return tl::unexpected(meter.error());
    r.meter = std::move(*meter);
    auto minute = f.time("minute");
    if (!minute) return tl::unexpected(minute.error());
    r.minute = *minute;
    auto n = f.whole("n", 1, std::numeric_limits<int32_t>::max());
    if (!n) return tl::unexpected(n.error());
    r.n = *n;
    for (const auto& v : kRollupValues) {
        if (!f.has(v.name)) continue;
        auto value = f.number(v.name);
        if (!value) return tl::unexpected(value.error());
        r.*v.member = *value;
    }
    return r;
}

template <typename T, typename Parse>
Result<std::vector<T>> parse_list(const nlohmann::ordered_json& list, const char* what,
                                  const Limits& limits, Parse parse) {
    if (list.size() > limits.max_items)
        return fail(std::string(what) + ": more than " + std::to_string(limits.max_items));
    std::vector<T> out;
    out.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        auto item = parse(list[i], limits);
        if (!item)
            return fail(std::string(what) + "[" + std::to_string(i) + "]: " + item.error().message);
        out.push_back(std::move(*item));
    }
    return out;
}

}  // namespace

Result<Telemetry> parse_telemetry(std::string_view payload, const Limits& limits) {
    auto j = parse_bounded(payload, limits);
    if (!j) return tl::unexpected(j.error());
    Fields f(*j, limits);
    Telemetry t;
    auto seq = f.whole("seq", 1, kMaxSeq);
    if (!seq) return tl::unexpected(seq.error());
    t.seq = static_cast<uint64_t>(*seq);
    const bool readings = f.has("readings"), rollups = f.has("rollups");
    if (readings == rollups) return fail("neither readings nor rollups, or both");
    if (readings) {
        auto list = f.array("readings");
        if (!list) return tl::unexpected(list.error());
        auto parsed = parse_list<Reading>(**list, "readings", limits, parse_reading);
        if (!parsed) return tl::unexpected(parsed.error());
        t.readings = std::move(*parsed);
    } else {
        auto list = f.array("rollups");
        if (!list) return tl::unexpected(list.error());
        auto parsed = parse_list<Rollup>(**list, "rollups", limits, parse_rollup);
        if (!parsed) return tl::unexpected(parsed.error());
        t.rollups = std::move(*parsed);
    }
    return t;
}

}  // namespace sealwatch::wire
