#pragma once
// production_suspected: a shut asset produces. Shut assets may keep auxiliary loads; raised
// above production_w (above any auxiliary or maintenance load, below any production load),
// cleared below production_w x (1 - margin_pct/100).
#include "detect/rules/draw_alarm.hpp"

namespace sealwatch::detect {

class ProductionSuspected final : public DrawAlarmRule {
  public:
    explicit ProductionSuspected(Site& site) : DrawAlarmRule(site, "production_suspected") {}

  protected:
    bool applies(config::AssetState s) const override { return s == config::AssetState::shut; }
    double raise_w(const AssetTrack& a) const override { return a.production_w; }
    double clear_w(const AssetTrack& a) const override { return a.prod_clear_w; }
};

}  // namespace sealwatch::detect
