#pragma once
// unmetered_load: the incoming meter of a [[balance]] exceeds the sum of its sub-meters (a
// bypass). Over windows of balance_window_s on the clock's grid (00:00, 00:15, ... by
// default), each member's mean power — from its import register read at the window's edges
// (interpolated between the readings around each edge, so every member is judged over the
// same time whatever its polling moments and its rows' order) where it has one, else its p_w
// readings in the window — and the excess main - sum(subs). A window is bad above
// tolerance_pct of the main and balance_floor_w, plus what a sub-meter stamped one poll late
// (and jittered by half a poll) could show during a change of load; balance_windows bad windows in
// a row raise, as many good ones clear. A window is judged once every member has read past its end;
// one in which a member was silent gives no verdict.
#include <string>
#include <utility>
#include <vector>

#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class UnmeteredLoad final : public Rule {
  public:
    explicit UnmeteredLoad(Site& site);
    void on_reading(const MeterReading& r, Events& out) override;
    void open_alarms(Events& out) const override;
    void snapshot(ojson& j) const override;
    void restore(const nlohmann::json& j) override;

  private:
    // The main meter's or a sub-meter's part in the window being filled.
    struct Member {
        int meter = -1;
        WallMs last_ts = -1;                          // its latest reading ...
        double last_kwh = std::nan("");               // ... and import register then (NaN: none)
        double e0 = std::nan(""), e1 = std::nan("");  // register at the window's start, end
        double w0 = std::nan(""), w1 = std::nan("");  // its draw across the start, the end
        double psum = 0, next_psum = 0;  // p_w readings in the window, and past its end
        int pn = 0, next_pn = 0;
        bool crossed = false;  // has read past the window's end
        bool gap = false;      // was silent during the window
    };
    struct Balance {
        const config::Balance* cfg = nullptr;
        std::string key;              // "main,sub,sub...": its snapshot key
        std::vector<Member> members;  // [0] = main
        WallMs win_start = -1, first_bad = -1;
        int bad = 0, good = 0;
        Alarm alarm;
        double main_w = 0, subs_w = 0;
    };

    void sample(Balance& b, size_t k, const MeterReading& r, Events& out);
    // Moves to the next window: the members' values at the end become its start values.
    void next_window(Balance& b);
    void close_window(Balance& b, WallMs ts, Events& out);
    Event event(const Balance& b, EventState st, WallMs ts, double excess) const;

    std::vector<Balance> balances_;
    std::vector<std::vector<std::pair<size_t, size_t>>> of_meter_;  // (balance, member) by meter
};

}  // namespace sealwatch::detect
