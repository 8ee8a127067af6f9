#include "detect/alarm.hpp"

#include <algorithm>
#include <cstdint>

namespace sealwatch::detect {

namespace {

void accumulate(Alarm& a, WallMs ts, double v, WallMs gap) {
    WallMs dt = ts - a.last_ts;
    if (dt > 0 && dt <= gap) a.energy_wh += a.last_v * static_cast<double>(dt) / 3.6e6;
    a.peak = std::max(a.peak, v);
    a.last_ts = ts;
    a.last_v = v;
}

}  // namespace

Step step(Alarm& a, bool cond, WallMs ts, double v, const Timing& t) {
    if (!a.raised) {
        if (!cond) {
            a.on_since = -1;
            a.on_n = 0;
            return Step::none;
        }
        if (a.on_since < 0 || ts - a.last_ts > t.gap) {
            a.on_since = ts;
            a.on_n = 0;
            a.peak = v;
            a.energy_wh = 0;
            a.first_ts = a.last_ts = ts;
            a.first_v = a.last_v = v;
            a.counter0 = std::nan("");
            a.from_register = false;
        }
        accumulate(a, ts, v, t.gap);
        ++a.on_n;
        if (ts - a.on_since >= t.min_on && a.on_n >= t.min_samples) {
            a.raised = true;
            a.started = a.on_since;
            a.off_since = -1;
            a.off_n = 0;
            return Step::raise;
        }
        return Step::none;
    }
    accumulate(a, ts, v, t.gap);
    if (cond) {
        a.off_since = -1;
        a.off_n = 0;
        return Step::none;
    }
    if (a.off_since < 0) a.off_since = ts;
    ++a.off_n;
    if (ts - a.off_since >= t.min_off && a.off_n >= t.min_samples) {
        a.raised = false;
        a.on_since = -1;
        a.on_n = 0;
        return Step::clear;
    }
    return Step::none;
}

nlohmann::ordered_json Alarm::to_json() const {
    using ojson = nlohmann::ordered_json;
    ojson j{
        {"raised", raised},       {"id", id},
        {"started", started},     {"on_since", on_since},
        {"on_n", on_n},           {"off_since", off_since},
        {"off_n", off_n},         {"peak", peak},
        {"energy_wh", energy_wh}, {"first_ts", first_ts},
        {"last_ts", last_ts},     {"first_v", first_v},
        {"last_v", last_v},       {"counter0", std::isnan(counter0) ? ojson() : ojson(counter0)}};
    if (from_register) j["from_register"] = true;  // written only when set: older snapshots alike
    return j;
}

void Alarm::from_json(const nlohmann::json& j) {
    auto num = [&](const char* k, double d) {
        auto it = j.find(k);
        return it != j.end() && it->is_number() ? it->get<double>() : d;
    };
    auto i64 = [&](const char* k, int64_t d) {
        auto it = j.find(k);
        return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : d;
    };
    raised = j.value("raised", false);
    id = j.value("id", std::string());
    started = i64("started", 0);
    on_since = i64("on_since", -1);
    on_n = static_cast<int>(i64("on_n", 0));
    off_since = i64("off_since", -1);
    off_n = static_cast<int>(i64("off_n", 0));
    peak = num("peak", 0);
    energy_wh = num("energy_wh", 0);
    first_ts = i64("first_ts", 0);
    last_ts = i64("last_ts", 0);
    first_v = num("first_v", 0);
    last_v = num("last_v", 0);
    counter0 = num("counter0", std::nan(""));
    from_register = j.value("from_register", false);
}

}  // namespace sealwatch::detect
