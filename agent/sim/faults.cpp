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
        if (a.exception == 0) a.exception = f.exception;
        a.slow_ms = std::max(a.slow_ms, f.slow_ms);
    }
    return a;
}

bool is_offline(const std::vector<Fault>& faults, double t) {
    return std::any_of(faults.begin(), faults.end(),
                       [t](const Fault& f) { return f.offline && t >= f.from && t < f.until; });
}

}  // namespace sealwatch::sim
