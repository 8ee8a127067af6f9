#include "detect/counter.hpp"

#include <algorithm>
#include <cstdint>

namespace sealwatch::detect {

namespace {

bool plausible(double d, WallMs dt, double max_w) {
    return d * kKwhMsToW / static_cast<double>(std::max<WallMs>(dt, 1000)) <= max_w;
}

}  // namespace

Counter::Result Counter::update(double v, WallMs t, double tol, double max_w) {
    Result r;
    if (!valid) {
        valid = true;
        value = v;
        ts = t;
        pending = false;
        return r;
    }
    auto accept = [&](double nv) {
        r.advanced = true;
        r.delta = std::max(0.0, nv - value);
        r.from = ts;
        value = std::max(value, nv);
        ts = t;
        pending = false;
    };
    if (pending) {
        if (v >= value - tol && plausible(v - value, t - ts, max_w)) {
            accept(v);  // the held reading was a glitch
        } else if (v >= pv - tol && v < value - tol && plausible(v - pv, t - pts, max_w)) {
            r.rollback = true;  // confirmed: the register really went back
            r.from_value = value;
            r.to_value = pv;
            r.from = pts;
            value = v;
            ts = t;
            pending = false;
        } else if (v >= pv - tol && plausible(v - pv, t - pts, max_w)) {
            // A confirmed jump forward: a new baseline, not consumption; what the register
            // counted after the jump is.
            r.jumped = true;
            r.jump_at = pts;
            r.jump_prev = ts;
            r.from_value = value;
            r.to_value = pv;
            value = pv;
            ts = pts;
            accept(v);
        } else {
            pv = v;
            pts = t;
        }
        return r;
    }
    double d = v - value;
    if (d < -tol || !plausible(d, t - ts, max_w)) {
        pending = true;
        pv = v;
        pts = t;
        return r;
    }
    accept(v);
    return r;
}

nlohmann::ordered_json Counter::to_json() const {
    if (!valid) return nullptr;
    return nlohmann::ordered_json{{"value", value}, {"ts", ts}};
}

void Counter::from_json(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("value") || !j["value"].is_number()) return;
    valid = true;
    value = j["value"].get<double>();
    ts = j.value("ts", int64_t{0});
}

}  // namespace sealwatch::detect
