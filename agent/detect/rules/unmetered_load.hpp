#pragma once
// unmetered_load: the incoming meter of a [[balance]] exceeds the sum of its sub-meters (a
// bypass). Over windows of balance_window_s, each member's mean power (from its import
// register where it has one, else its p_w readings) and the excess main - sum(subs); a window
// is bad above tolerance_pct of the main and balance_floor_w; balance_windows bad windows in a
// row raise, as many good ones clear. A window in which a member was silent gives no verdict.
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
    struct Member {
        int meter = -1;
        double e0 = std::nan("");  // import register at the window's start
        WallMs t0 = 0;
        double psum = 0;  // p_w readings in the window
        int pn = 0;
        bool gap = false;  // silent during the window
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

    void start_window(Balance& b, WallMs ts);
    void sample(Balance& b, size_t k, bool gap, WallMs ts, Events& out);
    void close_window(Balance& b, WallMs ts, Events& out);
    Event event(const Balance& b, EventState st, WallMs ts, double excess) const;

    std::vector<Balance> balances_;
    std::vector<std::vector<std::pair<size_t, size_t>>> of_meter_;  // (balance, member) by meter
};

}  // namespace sealwatch::detect
