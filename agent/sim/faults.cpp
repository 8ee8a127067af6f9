#include "sim/faults.hpp"

#include <algorithm>

namespace sealwatch::sim {

ActiveFaults active_faults(const std::vector<Fault>& faults, double t) {
    ActiveFaults a;
    for (const Fault& f : faults) {
        if (t < f.from || t >= f.until) continue;
        a.silent = a.silent || f.no_answer || f.offline;
        a.offline = a.offline || f.offline;
        a.corrupt = a.corrupt || f.corrupt;
        a.garbage = a.garbage || f.garbage;
        a.wrong_address = a.wrong_address || f.wrong_address;
        a.drop_link = a.drop_link || f.drop_link;
        if (a.exception == 0) a.exception = f.exception;
        a.slow_ms = std::max(a.slow_ms, f.slow_ms);
        if (!a.frozen_at && !a.shown_p_w) {
            if (f.freeze_power) a.frozen_at = std::max(f.from, 0.0);  // "always": as at start
            if (f.report_p_w) a.shown_p_w = f.report_p_w;
        }
    }
    return a;
}

bool is_offline(const std::vector<Fault>& faults, double t) {
    return std::any_of(faults.begin(), faults.end(),
                       [t](const Fault& f) { return f.offline && t >= f.from && t < f.until; });
}

}  // namespace sealwatch::sim
