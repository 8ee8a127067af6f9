#pragma once
// reenergized: a sealed or dismantled asset draws. Raised above
// standby_w + max(margin_w, standby_w x margin_pct/100), cleared at or below standby_w for
// min_off_s (the 30-minute default spans the pause between two heats: a night of heats is
// one alarm).
#include "detect/rules/draw_alarm.hpp"

namespace sealwatch::detect {

class Reenergized final : public DrawAlarmRule {
  public:
    explicit Reenergized(Site& site) : DrawAlarmRule(site, "reenergized") {}

  protected:
    bool applies(config::AssetState s) const override { return closed(s); }
    double raise_w(const AssetTrack& a) const override { return a.raise_w; }
    double clear_w(const AssetTrack& a) const override { return a.clear_w; }
};

}  // namespace sealwatch::detect
