#pragma once
// meter_offline: a meter stopped answering. From the poller's health changes (offline,
// misconfigured raise it with the reason; online or the next reading clear it) and from the
// data itself: a meter silent for its silence limit while the gateway is alive is offline
// from its last reading plus that limit (a timer).
#include <string>
#include <vector>

#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class MeterOffline final : public Rule {
  public:
    explicit MeterOffline(Site& site);
    void on_reading(const MeterReading& r, Events& out) override;
    void due(Due& due, WallMs& next) override;
    void on_health(int meter, const HealthChange& change, Events& out) override;
    void open_alarms(Events& out) const override;
    void snapshot(ojson& j) const override;
    void restore(const nlohmann::json& j) override;

  private:
    struct State {
        Alarm alarm;
        std::string reason;
    };
    Event raise(int meter, WallMs ts, WallMs started, std::string_view reason);
    Event clear(int meter, WallMs ts);
    std::vector<State> meters_;  // by meter index
};

}  // namespace sealwatch::detect
