#include "sim/meter_model.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "sim/faults.hpp"

namespace sealwatch::sim {

namespace {

constexpr double kWsPerKwh = 3.6e6;

// splitmix64: a cheap, well-mixed hash, so noise is a pure function of (seed, second).
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

MeterModel::MeterModel(MeterSpec spec, uint64_t seed, double start)
    : spec_(std::move(spec)),
      program_(spec_.program, spec_.heats),
      seed_(mix(seed ^ std::hash<std::string>{}(spec_.id))),
      serial_(spec_.serial),
      imp_kwh_(spec_.e_imp_kwh),
      exp_kwh_(spec_.e_exp_kwh),
      t_(start) {
    while (next_event_ < spec_.events.size() && spec_.events[next_event_].at < start) ++next_event_;
}

void MeterModel::integrate_to(double t) {
    if (t <= t_) return;
    // Counters stand still while the meter is unpowered: cut at the offline windows' edges.
    std::vector<double> cuts{t_, t};
    for (const Fault& f : spec_.faults) {
        if (!f.offline) continue;
        for (double edge : {f.from, f.until})
            if (edge > t_ && edge < t) cuts.push_back(edge);
    }
    std::sort(cuts.begin(), cuts.end());
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        double a = cuts[i];
        double b = cuts[i + 1];
        if (b <= a || is_offline(spec_.faults, (a + b) / 2)) continue;
        EnergyWs e = program_.integrate(a, b);
        imp_kwh_ += e.imported / kWsPerKwh;
        exp_kwh_ += e.exported / kWsPerKwh;
    }
    t_ = t;
}

void MeterModel::advance(double t) {
    while (next_event_ < spec_.events.size() && spec_.events[next_event_].at <= t) {
        const MeterEvent& e = spec_.events[next_event_];
        integrate_to(e.at);
        if (e.kind == MeterEvent::Kind::swap && e.serial) serial_ = *e.serial;
        imp_kwh_ = e.e_imp_kwh.value_or(0.0);
        exp_kwh_ = e.e_exp_kwh.value_or(0.0);
        ++next_event_;
    }
    integrate_to(t);
}

void MeterModel::respec(MeterSpec spec, double t) {
    advance(t);
    if (spec.serial != spec_.serial) serial_ = spec.serial;
    spec_ = std::move(spec);
    program_ = PowerProgram(spec_.program, spec_.heats);
    next_event_ = 0;
    while (next_event_ < spec_.events.size() && spec_.events[next_event_].at <= t_) ++next_event_;
}

double MeterModel::noise(double t) const {
    if (spec_.electrical.noise_w <= 0) return 0.0;
    auto second = static_cast<uint64_t>(static_cast<int64_t>(std::floor(t)));
    uint64_t h = mix(seed_ ^ second);
    double unit = static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);  // [0, 1)
    return spec_.electrical.noise_w * (2.0 * unit - 1.0);
}

double MeterModel::power_w(double t) const {
    return program_.power_at(t) + noise(t);
}

Values MeterModel::values(double t) const {
    const Electrical& el = spec_.electrical;
    Values v;
    // A lying meter (freeze_power, report_p_w): every value derived from power shows the lie;
    // the energy counters below still show what the load drew.
    const ActiveFaults lie = active_faults(spec_.faults, t);
    const double shown_t = lie.frozen_at.value_or(t);
    double p = lie.shown_p_w ? *lie.shown_p_w : power_w(shown_t);
    double share_sum = el.split[0] + el.split[1] + el.split[2];
    double tan_phi = std::tan(std::acos(el.pf));
    bool heat = !lie.shown_p_w && program_.heat_running(shown_t);
    double s_total = 0.0;
    static const char* const u_names[] = {"u_l1_v", "u_l2_v", "u_l3_v"};
    static const char* const i_names[] = {"i_l1_a", "i_l2_a", "i_l3_a"};
    static const char* const p_names[] = {"p_l1_w", "p_l2_w", "p_l3_w"};
    static const char* const thd_u_names[] = {"thd_u_l1_pct", "thd_u_l2_pct", "thd_u_l3_pct"};
    static const char* const thd_i_names[] = {"thd_i_l1_pct", "thd_i_l2_pct", "thd_i_l3_pct"};
    for (size_t k = 0; k < 3; ++k) {
        double pk = p * el.split[k] / share_sum;
        double sk = std::abs(pk) / el.pf;
        double ik = el.u_v[k] > 0 ? sk / el.u_v[k] : 0.0;
        s_total += sk;
        v[u_names[k]] = el.u_v[k];
        v[i_names[k]] = ik;
        v[p_names[k]] = pk;
        v[thd_u_names[k]] = el.thd_u_pct[k];
        v[thd_i_names[k]] = ik > 0 ? (heat ? el.thd_i_heat_pct : el.thd_i_pct) : 0.0;
    }
    v["p_w"] = p;
    v["q_var"] = std::abs(p) * tan_phi;
    v["s_va"] = s_total;
    v["pf"] = p < 0 ? -el.pf : el.pf;
    v["f_hz"] = el.f_hz;
    v["e_imp_kwh"] = imp_kwh_;
    v["e_exp_kwh"] = exp_kwh_;
    v["e_total_kwh"] = imp_kwh_ + exp_kwh_;
    return v;
}

}  // namespace sealwatch::sim
