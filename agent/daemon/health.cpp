#include "daemon/health.hpp"

namespace sealwatch::daemon {

namespace {
std::string seconds(int64_t ns) {
    return std::to_string(ns / 1000000000) + " s";
}
}  // namespace

void Health::store_result(bool ok, MonoNs now) {
    if (ok) {
        store_failing_since_.reset();
    } else if (!store_failing_since_) {
        store_failing_since_ = now;
    }
}

void Health::link_connected(bool connected, MonoNs now) {
    connected_ = connected;
    waiting_since_ = now;
}

void Health::acked(MonoNs now) {
    waiting_since_ = now;
}

void Health::in_flight(size_t n, MonoNs now) {
    if (in_flight_ == 0 && n > 0) waiting_since_ = now;
    in_flight_ = n;
}

std::optional<std::string> Health::problem(MonoNs now) const {
    for (const auto& [bus, due] : buses_)
        if (due != 0 && now - due > stall_ns_)
            return "polling: the thread of bus " + bus + " has made no progress for " +
                   seconds(now - due);
    if (store_failing_since_ && now - *store_failing_since_ > stall_ns_)
        return "storing: every write has failed for " + seconds(now - *store_failing_since_);
    if (connected_ && in_flight_ > 0 && now - waiting_since_ > stall_ns_)
        return "uplink: connected, " + std::to_string(in_flight_) +
               " message(s) in flight and no acknowledgement for " + seconds(now - waiting_since_);
    return std::nullopt;
}

}  // namespace sealwatch::daemon
