#pragma once
// What reenergized and production_suspected share: an asset whose state allows it only a
// limited draw draws more. Per asset an Alarm with hysteresis in level (raise above one level,
// clear at or below a lower one) and the asset's timing; the energy used is taken from the
// registers where the asset has them. Each asset state has at most one such rule; a state
// change that makes it moot clears it ("reason": "asset state changed").
#include <string_view>
#include <vector>

#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

class DrawAlarmRule : public Rule {
  public:
    DrawAlarmRule(Site& site, std::string_view type)
        : Rule(site), type_(type), alarms_(site.assets.size()) {}
    void on_reading(const MeterReading& r, Events& out) override;
    void on_state_change(AssetTrack& asset, Events& out) override;
    void open_alarms(Events& out) const override;
    void snapshot(ojson& j) const override;
    void restore(const nlohmann::json& j) override;

  protected:
    virtual bool applies(config::AssetState state) const = 0;
    virtual double raise_w(const AssetTrack& a) const = 0;
    virtual double clear_w(const AssetTrack& a) const = 0;

  private:
    size_t index_of(const AssetTrack& a) const;
    void push_event(const AssetTrack& a, Step stp, WallMs ts, Events& out) const;
    std::string_view type_;
    std::vector<Alarm> alarms_;  // by asset index
};

}  // namespace sealwatch::detect
