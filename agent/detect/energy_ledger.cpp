#include "detect/energy_ledger.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "detect/counter.hpp"

namespace sealwatch::detect {

namespace {

// The window: fifteen intervals, and at least 15 minutes, so that a 0.01 kWh register read
// every second has made many steps in it at any load that matters (one step in 15 minutes is
// 40 W). About one mark per thirtieth of it keeps the snapshot small.
WallMs window_of(WallMs interval) {
    return std::max<WallMs>(15 * interval, 900'000);
}
// Judged only once the window spans this many intervals: sampled power misses up to half an
// interval at each edge of a load, a large share of a shorter window.
constexpr WallMs kMinIntervals = 3;
// The least unexplained energy, in register steps: quantisation at both ends of the window
// and the rounding of a float register are one step each.
constexpr double kSteps = 4;
// The power values must explain less than this share of the register's advance.
constexpr double kExplainedShare = 0.5;

}  // namespace

void EnergyLedger::restart(WallMs ts, double draw_w) {
    reg_ = pow_ = 0;
    ts_ = ts;
    w_ = draw_w;
    same_n_ = std::isnan(draw_w) ? 0 : 1;
    last_ts_ = ts;
    last_reg_ = 0;
    unexplained_ = false;
    marks_.assign(1, Mark{ts, 0, 0});
}

EnergyVerdict EnergyLedger::update(WallMs ts, double draw_w, double adv_kwh, bool continuous,
                                   WallMs interval, double floor_kwh) {
    EnergyVerdict v;
    // Without power values, or after a hole in them of more than a few intervals, there is
    // nothing to compare the register with: the window starts again.
    const bool power_hole = std::isnan(w_) || ts - ts_ > kMinIntervals * interval;
    if (!continuous || marks_.empty() || (!std::isnan(draw_w) && power_hole)) {
        restart(ts, draw_w);
        return v;
    }
    if (adv_kwh > 0) step_ = std::isnan(step_) ? adv_kwh : std::min(step_, adv_kwh);
    reg_ += adv_kwh;
    if (!std::isnan(draw_w)) {
        // The register counted here is the import: a negative draw (an asset that may export)
        // counts as none.
        pow_ += (std::max(w_, 0.0) + std::max(draw_w, 0.0)) / 2 * static_cast<double>(ts - ts_) /
                kKwhMsToW;
        same_n_ = draw_w == w_ ? same_n_ + 1 : 1;
        ts_ = ts;
        w_ = draw_w;
    }

    const WallMs window = window_of(interval);
    if (ts - marks_.back().ts >= window / 30) marks_.push_back(Mark{ts, reg_, pow_});
    while (marks_.size() >= 2 && marks_[1].ts <= ts - window) marks_.pop_front();

    const Mark& base = marks_.front();
    v.window = ts - base.ts;
    v.register_kwh = reg_ - base.reg;
    v.power_kwh = pow_ - base.pow;
    v.judged = v.window >= kMinIntervals * interval && !std::isnan(w_) &&
               ts - ts_ <= kMinIntervals * interval;
    const double floor = std::max(floor_kwh, std::isnan(step_) ? 0.0 : kSteps * step_);
    v.unexplained = v.judged && v.register_kwh - v.power_kwh > floor &&
                    v.power_kwh < kExplainedShare * v.register_kwh;
    if (v.unexplained) v.register_w = register_mean_w(ts, window, floor);
    unexplained_ = v.unexplained;
    last_ts_ = ts;
    last_reg_ = reg_;
    return v;
}

// The register's mean power over the shortest recent span that is either long enough for
// its resolution (`floor_kwh` counted) or half the window long (a step in it is a small power).
double EnergyLedger::register_mean_w(WallMs ts, WallMs window, double floor_kwh) const {
    auto mean = [&](WallMs from, double reg_then) {
        return (reg_ - reg_then) * kKwhMsToW / static_cast<double>(ts - from);
    };
    auto enough = [&](WallMs from, double reg_then) {
        return reg_ - reg_then >= floor_kwh || ts - from >= window / 2;
    };
    if (last_ts_ < ts && enough(last_ts_, last_reg_)) return mean(last_ts_, last_reg_);
    // Newest first (clang 14 cannot read libstdc++'s std::views::reverse, so by index).
    for (size_t i = marks_.size(); i-- > 0;)
        if (marks_[i].ts < ts && enough(marks_[i].ts, marks_[i].reg))
            return mean(marks_[i].ts, marks_[i].reg);
    const Mark& oldest = marks_.front();
    return oldest.ts < ts ? mean(oldest.ts, oldest.reg) : std::nan("");
}

const char* EnergyLedger::power_values() const {
    if (!std::isnan(w_) && std::abs(w_) < 1) return "zero";
    if (same_n_ >= kFrozenReadings) return "frozen";
    return "low";
}

nlohmann::ordered_json EnergyLedger::to_json() const {
    using ojson = nlohmann::ordered_json;
    auto num = [](double x) { return std::isnan(x) ? ojson() : ojson(x); };
    ojson marks = ojson::array();
    for (const auto& m : marks_) marks.push_back(ojson::array({m.ts, m.reg, m.pow}));
    return ojson{{"reg", reg_},
                 {"pow", pow_},
                 {"ts", ts_},
                 {"w", num(w_)},
                 {"same_n", same_n_},
                 {"step", num(step_)},
                 {"last_ts", last_ts_},
                 {"last_reg", last_reg_},
                 {"unexplained", unexplained_},
                 {"marks", std::move(marks)}};
}

void EnergyLedger::from_json(const nlohmann::json& j) {
    *this = EnergyLedger{};
    if (!j.is_object()) return;  // a snapshot from before the ledger: it starts afresh
    auto num = [&](const char* k) {
        auto it = j.find(k);
        return it != j.end() && it->is_number() ? it->get<double>() : std::nan("");
    };
    reg_ = j.at("reg").get<double>();
    pow_ = j.at("pow").get<double>();
    ts_ = j.at("ts").get<WallMs>();
    w_ = num("w");
    same_n_ = j.at("same_n").get<int>();
    step_ = num("step");
    last_ts_ = j.at("last_ts").get<WallMs>();
    last_reg_ = j.at("last_reg").get<double>();
    unexplained_ = j.at("unexplained").get<bool>();
    for (const auto& m : j.at("marks"))
        marks_.push_back(Mark{m.at(0).get<WallMs>(), m.at(1).get<double>(), m.at(2).get<double>()});
}

}  // namespace sealwatch::detect
