#include "daemon/power.hpp"

#include "model/event.hpp"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace sealwatch::daemon {

std::string to_json(const AliveStamp& s) {
    nlohmann::ordered_json j;
    j["wall_ms"] = s.wall_ms;
    j["mono_ns"] = s.mono_ns;
    j["boot_id"] = s.boot_id;
    j["boot"] = s.boot;
    j["clock_synced"] = s.clock_synced;
    return j.dump();
}

std::optional<AliveStamp> alive_from_json(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    AliveStamp s;
    auto wall = j.find("wall_ms");
    auto mono = j.find("mono_ns");
    if (wall == j.end() || !wall->is_number_integer() || mono == j.end() ||
        !mono->is_number_integer())
        return std::nullopt;
    s.wall_ms = wall->get<int64_t>();
    s.mono_ns = mono->get<int64_t>();
    s.boot_id = j.value("boot_id", "");
    s.boot = j.value("boot", int64_t{0});
    s.clock_synced = j.value("clock_synced", false);
    return s;
}

Event power_restored(const std::string& gateway, const std::optional<AliveStamp>& last,
                     const StartFacts& start, int alive_every_s) {
    Event e;
    e.type = "power_restored";
    e.state = EventState::info;
    e.severity = Severity::major;
    e.ts = start.wall_ms;
    e.started = last ? last->wall_ms : start.wall_ms;
    e.id = gateway + ":power_restored:gateway:" + std::to_string(start.wall_ms);
    auto& d = e.details;
    bool same_boot = last && !last->boot_id.empty() && last->boot_id == start.boot_id;
    d["restart"] = same_boot ? "process" : "reboot";
    d["watchdog_reset"] = start.watchdog_reset;
    d["boot"] = start.boot;
    if (!last) {
        d["downtime_s"] = nullptr;
        d["estimate"] = "unknown: no alive stamp from the last run";
        return e;
    }
    d["previous_boot"] = last->boot;
    d["last_alive"] = format_rfc3339(last->wall_ms);
    d["uncertainty_s"] = alive_every_s;  // it may have lived this much past its last stamp
    if (same_boot) {
        const int64_t down_ms = (start.mono_ns - last->mono_ns) / 1000000;  // whole ms, as wall_ms
        d["downtime_s"] = static_cast<double>(down_ms) / 1000.0;
        d["estimate"] = "monotonic";
        // The wall clock of the stamp may have been wrong then; the monotonic one was not.
        e.started = start.wall_ms - down_ms;
    } else if (start.clock_synced && last->clock_synced) {
        d["downtime_s"] = static_cast<double>(start.wall_ms - last->wall_ms) / 1000.0;
        d["estimate"] = "wall_clock";
    } else {
        int64_t diff = start.wall_ms - last->wall_ms;
        d["downtime_s"] =
            diff > 0 ? nlohmann::ordered_json(static_cast<double>(diff) / 1000.0) : nullptr;
        d["estimate"] = start.clock_synced ? "wall_clock_unsynced_before" : "wall_clock_unsynced";
    }
    return e;
}

std::optional<int64_t> ClockWatch::check(WallMs wall, MonoNs mono) {
    if (!have_) {
        have_ = true;
        wall_ = wall;
        mono_ = mono;
        return std::nullopt;
    }
    int64_t expected = wall_ + (mono - mono_) / 1000000;
    int64_t jump = wall - expected;
    wall_ = wall;
    mono_ = mono;
    if (std::llabs(jump) < threshold_ms_) {
        return std::nullopt;
    }
    return jump;
}

Event clock_jump(const std::string& gateway, int64_t jump_ms, WallMs wall_now, bool synced_now) {
    Event e;
    e.type = "clock_jump";
    e.state = EventState::info;
    e.severity = jump_ms < 0 ? Severity::major : Severity::minor;
    e.ts = e.started = wall_now;
    // The id carries the monotonic-consistent "from" time too: two jumps to the same wall time
    // (someone setting the clock back twice) stay two events.
    e.id = gateway + ":clock_jump:gateway:" + std::to_string(wall_now) + "-" +
           std::to_string(wall_now - jump_ms);
    e.details["jump_ms"] = jump_ms;
    e.details["from"] = format_rfc3339(wall_now - jump_ms);
    e.details["to"] = format_rfc3339(wall_now);
    e.details["clock_synced"] = synced_now;
    return e;
}

}  // namespace sealwatch::daemon
