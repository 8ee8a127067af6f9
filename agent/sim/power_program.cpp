#include "sim/power_program.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace sealwatch::sim {

PowerProgram::PowerProgram(const std::vector<Segment>& program, std::vector<Heat> heats)
    : heats_(std::move(heats)) {
    points_.push_back({0.0, 0.0});  // nothing drawn until the first segment
    std::vector<Segment> sorted = program;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Segment& a, const Segment& b) { return a.at < b.at; });
    for (const Segment& s : sorted) {
        double before = program_at(s.at);
        // A later segment interrupts a ramp still under way.
        while (!points_.empty() && points_.back().t > s.at) points_.pop_back();
        points_.push_back({s.at, before});
        points_.push_back({s.at + s.over, s.value});
    }
}

double PowerProgram::program_at(double t) const {
    if (points_.empty() || t < points_.front().t) return 0.0;
    // The last point at or before t (the later one of a step pair).
    auto it = std::upper_bound(points_.begin(), points_.end(), t,
                               [](double v, const Point& p) { return v < p.t; });
    const Point& a = *(it - 1);
    if (it == points_.end()) return a.w;
    const Point& b = *it;
    return a.w + (b.w - a.w) * (t - a.t) / (b.t - a.t);
}

double PowerProgram::heat_at(const Heat& h, double t) {
    double since = t - h.start;
    if (since < 0) return 0.0;
    double period = h.period();
    double k = std::floor(since / period);
    if (h.repeat > 0 && k >= h.repeat) return 0.0;
    double x = since - k * period;
    if (x < h.ramp) return h.hold_w * x / h.ramp;
    x -= h.ramp;
    if (x < h.hold) return h.hold_w;
    x -= h.hold;
    if (x < h.drop) return h.hold_w * (1.0 - x / h.drop);
    return 0.0;
}

double PowerProgram::power_at(double t) const {
    double w = program_at(t);
    for (const Heat& h : heats_) w += heat_at(h, t);
    return w;
}

bool PowerProgram::heat_running(double t) const {
    for (const Heat& h : heats_) {
        double since = t - h.start;
        if (since < 0) continue;
        double k = std::floor(since / h.period());
        if (h.repeat > 0 && k >= h.repeat) continue;
        if (since - k * h.period() < h.ramp + h.hold + h.drop) return true;
    }
    return false;
}

void PowerProgram::breakpoints(double t0, double t1, std::vector<double>& out) const {
    for (const Point& p : points_)
        if (p.t > t0 && p.t < t1) out.push_back(p.t);
    for (const Heat& h : heats_) {
        double period = h.period();
        double first = std::max(0.0, std::floor((t0 - h.start) / period));
        double last = std::floor((t1 - h.start) / period);
        if (h.repeat > 0) last = std::min(last, static_cast<double>(h.repeat - 1));
        for (double k = first; k <= last; k += 1.0) {
            double s = h.start + k * period;
            for (double t : {s, s + h.ramp, s + h.ramp + h.hold, s + h.ramp + h.hold + h.drop})
                if (t > t0 && t < t1) out.push_back(t);
        }
    }
}

EnergyWs PowerProgram::integrate(double t0, double t1) const {
    EnergyWs e;
    if (!(t1 > t0)) return e;
    std::vector<double> cuts{t0, t1};
    breakpoints(t0, t1, cuts);
    std::sort(cuts.begin(), cuts.end());
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        double a = cuts[i];
        double b = cuts[i + 1];
        if (b <= a) continue;
        // Linear inside (a, b): sample two inner points (never a breakpoint, so no step
        // ambiguity) and extend the line to both ends.
        double q1 = a + (b - a) / 4;
        double q3 = a + 3 * (b - a) / 4;
        double w1 = power_at(q1);
        double w3 = power_at(q3);
        double slope = (w3 - w1) / (q3 - q1);
        double wa = w1 - slope * (q1 - a);
        double wb = w3 + slope * (b - q3);
        if (wa >= 0 && wb >= 0) {
            e.imported += (wa + wb) / 2 * (b - a);
        } else if (wa <= 0 && wb <= 0) {
            e.exported -= (wa + wb) / 2 * (b - a);
        } else {
            double tz = a + (b - a) * wa / (wa - wb);  // where the line crosses zero
            double first = wa / 2 * (tz - a);
            double second = wb / 2 * (b - tz);
            if (wa > 0) {
                e.imported += first;
                e.exported -= second;
            } else {
                e.exported -= first;
                e.imported += second;
            }
        }
    }
    return e;
}

}  // namespace sealwatch::sim
