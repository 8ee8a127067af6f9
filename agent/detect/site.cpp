#include "detect/site.hpp"

#include <algorithm>

#include "detect/evidence.hpp"

namespace sealwatch::detect {

Site::Site(const config::Config& c, TimeZone z) : cfg(c), d(c.detect), tz(std::move(z)) {
    for (const auto& m : cfg.meters) {
        MeterTrack st;
        st.id = m.id;
        st.interval = m.interval_ms;
        st.silence = std::max<WallMs>(3 * WallMs{m.interval_ms}, WallMs{d.offline_min_s} * 1000);
        gw_gap = std::max(gw_gap, st.silence);
        st.timing.min_on = time_floor(st.interval, std::nullopt);
        st.timing.min_off = WallMs{d.min_off_s} * 1000;
        st.timing.min_samples = samples_to_confirm(st.interval);
        st.timing.gap = std::max(st.timing.gap, st.silence);
        meters.push_back(std::move(st));
    }
    for (size_t i = 0; i < meters.size(); ++i)
        meter_by_id.emplace(meters[i].id, static_cast<int>(i));
    for (const auto& a : cfg.assets) {
        AssetTrack st;
        st.cfg = &a;
        st.state = a.state;
        st.raise_w = a.standby_w + std::max(d.margin_w, a.standby_w * d.margin_pct / 100);
        st.clear_w = a.standby_w;
        st.production_w = a.production_w.value_or(d.production_w);
        st.prod_clear_w = st.production_w * (1 - std::min(d.margin_pct, 100.0) / 100);
        st.heat_w = a.heat_w.value_or(d.heat_w);
        st.timing.min_off = WallMs{a.min_off_s.value_or(d.min_off_s)} * 1000;
        st.export_allowed = a.export_allowed;
        int ai = static_cast<int>(assets.size());
        WallMs slowest = 0;
        for (const auto& mid : a.meters) {
            int mi = index(mid);
            if (mi < 0) continue;
            st.meters.push_back(mi);
            meter(mi).asset = ai;
            st.timing.gap = std::max(st.timing.gap, meter(mi).silence);
            slowest = std::max(slowest, meter(mi).interval);
        }
        st.timing.min_samples = samples_to_confirm(slowest);
        st.timing.min_on = time_floor(slowest, a.min_on_s);
        assets.push_back(std::move(st));
    }
}

int Site::index(std::string_view meter_id) const {
    auto it = meter_by_id.find(meter_id);
    return it == meter_by_id.end() ? -1 : it->second;
}

AssetTrack* Site::asset_of(const MeterTrack& m) {
    return m.asset >= 0 ? &assets[static_cast<size_t>(m.asset)] : nullptr;
}
const AssetTrack* Site::asset_of(const MeterTrack& m) const {
    return m.asset >= 0 ? &assets[static_cast<size_t>(m.asset)] : nullptr;
}
config::AssetState Site::state_of(const MeterTrack& m) const {
    const auto* a = asset_of(m);
    return a ? a->state : config::AssetState::operating;
}
std::string Site::asset_id(const MeterTrack& m) const {
    const auto* a = asset_of(m);
    return a ? a->cfg->id : std::string();
}
const Timing& Site::timing_of(const MeterTrack& m) const {
    const auto* a = asset_of(m);
    return a ? a->timing : m.timing;
}

int Site::samples_to_confirm(WallMs interval) const {
    return d.min_samples.value_or(interval <= kFastPollMs ? 2 : 3);
}

WallMs Site::time_floor(WallMs interval, std::optional<int> min_on_s) const {
    WallMs from_samples =
        std::max<WallMs>(0, (samples_to_confirm(interval) - 1) * interval - interval / 2);
    return std::max(from_samples, WallMs{min_on_s.value_or(d.min_on_s)} * 1000);
}

std::string Site::make_id(std::string_view type, std::string_view subject, WallMs started) const {
    return event_id(cfg.gateway.id, type, subject, started);
}

double Site::asset_draw(const AssetTrack& a) const {
    double sum = 0;
    bool any = false;
    for (int mi : a.meters) {
        const auto& m = meter(mi);
        if (!m.seen || std::isnan(m.draw) || now - m.last_ts > m.silence) continue;
        sum += m.draw;
        any = true;
    }
    return any ? sum : std::nan("");
}

double Site::asset_counter(const AssetTrack& a) const {
    double sum = 0;
    for (int mi : a.meters) {
        const auto& m = meter(mi);
        if (!m.imp.valid) return std::nan("");
        sum += m.imp.value;
        if (!a.export_allowed && m.exp.valid) sum += m.exp.value;
    }
    return a.meters.empty() ? std::nan("") : sum;
}

bool Site::night(WallMs t) const {
    int h = tz.hour_of_day(t);
    if (d.night_start_h <= d.night_end_h) return h >= d.night_start_h && h < d.night_end_h;
    return h >= d.night_start_h || h < d.night_end_h;
}

}  // namespace sealwatch::detect
