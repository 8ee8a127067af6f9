#include "detect/rules/furnace_signature.hpp"

#include <algorithm>

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
constexpr const char* kType = "furnace_signature";
constexpr WallMs kHeatDropMs = 120'000;  // a heat ends when the draw stays low this long
constexpr size_t kMaxSeries = 32;        // heats kept as evidence of one series
}  // namespace

size_t FurnaceSignature::index_of(const AssetTrack& a) const {
    return static_cast<size_t>(&a - site_.assets.data());
}

void FurnaceSignature::on_reading(const MeterReading& r, Events& out) {
    if (!r.asset || std::isnan(r.asset_w) || !restricted(r.asset->state)) return;
    heat_sample(*r.asset, r.ts, r.asset_w, r.thd, out);
}

void FurnaceSignature::heat_sample(const AssetTrack& a, WallMs ts, double w, double thd,
                                   Events& out) {
    auto& h = assets_[index_of(a)];
    if (!h.in) {
        if (w < a.heat_w) return;
        h.in = true;
        h.start = h.prev_ts = ts;
        h.prev_v = h.peak = w;
        h.below_since = -1;
        h.energy_wh = h.thd_sum = h.night_ms = 0;
        h.thd_n = 0;
        if (!std::isnan(thd)) h.thd_sum += thd, ++h.thd_n;
        return;
    }
    WallMs dt = ts - h.prev_ts;
    if (dt > a.timing.gap) {  // lost sight of it: the heat ended when we last saw it
        end_heat(a, h.prev_ts, ts, out);
        if (w >= a.heat_w) heat_sample(a, ts, w, thd, out);
        return;
    }
    if (dt > 0) {
        h.energy_wh += h.prev_v * static_cast<double>(dt) / 3.6e6;
        if (site_.night(h.prev_ts)) h.night_ms += static_cast<double>(dt);
    }
    h.prev_ts = ts;
    h.prev_v = w;
    h.peak = std::max(h.peak, w);
    if (w >= a.heat_w * 0.5) {
        h.below_since = -1;
        if (!std::isnan(thd)) h.thd_sum += thd, ++h.thd_n;
    } else {
        if (h.below_since < 0) h.below_since = ts;
        if (ts - h.below_since >= kHeatDropMs) end_heat(a, h.below_since, ts, out);
    }
}

void FurnaceSignature::end_heat(const AssetTrack& a, WallMs end, WallMs ts, Events& out) {
    const auto& d = site_.d;
    auto& h = assets_[index_of(a)];
    h.in = false;
    Heat heat;
    heat.start = h.start;
    heat.end = end;
    WallMs dur = end - h.start;
    heat.peak_w = h.peak;
    heat.energy_kwh = h.energy_wh / 1000;
    heat.mean_w = dur > 0 ? h.energy_wh * 3.6e6 / static_cast<double>(dur) : 0;
    heat.thd_i_pct = h.thd_n ? h.thd_sum / h.thd_n : std::nan("");
    heat.night_fraction = dur > 0 ? std::min(1.0, h.night_ms / static_cast<double>(dur)) : 0;
    bool shaped = dur >= WallMs{d.heat_min_s} * 1000 && dur <= WallMs{d.heat_max_s} * 1000 &&
                  heat.mean_w >= 0.5 * heat.peak_w;
    bool induction = std::isnan(heat.thd_i_pct) || heat.thd_i_pct >= d.thd_i_min_pct;
    if (!shaped || !induction) return;
    if (h.last_end >= 0 && heat.start - h.last_end > WallMs{d.heat_gap_max_s} * 1000)
        h.series.clear();
    if (h.series.size() >= kMaxSeries) h.series.erase(h.series.begin());
    h.series.push_back(heat);
    h.last_end = end;
    if (h.alarm.raised || static_cast<int>(h.series.size()) < d.heats_min) {
        if (h.alarm.raised) site_.wake_at(end + WallMs{d.heat_gap_max_s} * 1000);
        return;
    }
    h.alarm.raised = true;
    h.alarm.started = h.series.front().start;
    h.alarm.id = site_.make_id(kType, a.cfg->id, h.alarm.started);
    auto e = make_event(kType, EventState::raised, severity(kType, a.state), a.cfg->id, "", ts,
                        h.alarm.started, h.alarm.id);
    details(e.details, a);
    out.push_back(std::move(e));
    site_.wake_at(end + WallMs{d.heat_gap_max_s} * 1000);
}

void FurnaceSignature::details(ojson& det, const AssetTrack& a) const {
    const auto& s = assets_[index_of(a)].series;
    det["heats"] = s.size();
    ojson list = ojson::array();
    double night_ms = 0, total_ms = 0, thd_sum = 0, peak = 0, kwh = 0;
    int thd_n = 0;
    for (const auto& h : s) {
        ojson x{{"start", format_rfc3339(h.start)},
                {"end", format_rfc3339(h.end)},
                {"duration_s", (h.end - h.start) / 1000},
                {"peak_w", round_to(h.peak_w, 0.1)},
                {"mean_w", round_to(h.mean_w, 0.1)},
                {"energy_kwh", round_to(h.energy_kwh, 0.001)}};
        if (!std::isnan(h.thd_i_pct)) x["thd_i_pct"] = round_to(h.thd_i_pct, 0.01);
        list.push_back(std::move(x));
        auto dur = static_cast<double>(h.end - h.start);
        night_ms += h.night_fraction * dur;
        total_ms += dur;
        if (!std::isnan(h.thd_i_pct)) thd_sum += h.thd_i_pct, ++thd_n;
        peak = std::max(peak, h.peak_w);
        kwh += h.energy_kwh;
    }
    det["peak_w"] = round_to(peak, 0.1);
    det["energy_kwh"] = round_to(kwh, 0.001);
    det["night_fraction"] = total_ms > 0 ? round_to(night_ms / total_ms, 0.01) : 0.0;
    det["thd_i_pct"] = thd_n ? ojson(round_to(thd_sum / thd_n, 0.01)) : ojson();
    det["heat_w"] = a.heat_w;
    det["heat_list"] = std::move(list);
}

Event FurnaceSignature::clear(const AssetTrack& a, WallMs ts) {
    auto& h = assets_[index_of(a)];
    h.alarm.raised = false;
    auto e = make_event(kType, EventState::cleared, severity(kType, a.state), a.cfg->id, "", ts,
                        h.alarm.started, h.alarm.id);
    details(e.details, a);
    e.details["last_heat_end"] = format_rfc3339(h.last_end);
    h.series.clear();
    return e;
}

void FurnaceSignature::due(Due& due, WallMs& next) {
    for (const auto& a : site_.assets) {
        const auto& h = assets_[index_of(a)];
        if (!h.alarm.raised || h.in) continue;
        WallMs dl = h.last_end + WallMs{site_.d.heat_gap_max_s} * 1000;
        if (site_.now > dl) {
            due.emplace_back(dl, clear(a, dl));
        } else {
            next = std::min(next, dl);
        }
    }
}

void FurnaceSignature::on_state_change(AssetTrack& a, Events& out) {
    if (restricted(a.state)) return;
    if (assets_[index_of(a)].alarm.raised) {
        out.push_back(clear(a, site_.now));
        out.back().details["reason"] = "asset state changed";
    }
    assets_[index_of(a)] = Heats{};
}

void FurnaceSignature::open_alarms(Events& out) const {
    for (const auto& a : site_.assets) {
        const auto& h = assets_[index_of(a)];
        if (!h.alarm.raised) continue;
        auto e = make_event(kType, EventState::raised, severity(kType, a.state), a.cfg->id, "",
                            h.last_end, h.alarm.started, h.alarm.id);
        details(e.details, a);
        out.push_back(std::move(e));
    }
}

// The asset's entry: "heats": the counted series ([start, end, peak_w, energy_kwh, mean_w,
// thd_i_pct or null, night_fraction] each), the end of the last one, the alarm.
void FurnaceSignature::snapshot(ojson& j) const {
    for (const auto& a : site_.assets) {
        const auto& h = assets_[index_of(a)];
        if (h.series.empty() && !h.alarm.raised) continue;
        ojson series = ojson::array();
        for (const auto& s : h.series)
            series.push_back({s.start, s.end, s.peak_w, s.energy_kwh, s.mean_w,
                              std::isnan(s.thd_i_pct) ? ojson() : ojson(s.thd_i_pct),
                              s.night_fraction});
        asset_entry(j, a.cfg->id)["heats"] = {
            {"series", std::move(series)}, {"last_end", h.last_end}, {"alarm", h.alarm.to_json()}};
    }
}

void FurnaceSignature::restore(const nlohmann::json& j) {
    for_each_asset(site_, j, [&](const AssetTrack& a, const nlohmann::json& x) {
        if (!x.contains("heats")) return;
        const auto& hj = x["heats"];
        auto& h = assets_[index_of(a)];
        h.last_end = hj.value("last_end", WallMs{-1});
        h.alarm.from_json(hj.at("alarm"));
        for (const auto& s : hj.at("series")) {
            Heat heat;
            heat.start = s.at(0).get<WallMs>();
            heat.end = s.at(1).get<WallMs>();
            heat.peak_w = s.at(2).get<double>();
            heat.energy_kwh = s.at(3).get<double>();
            heat.mean_w = s.at(4).get<double>();
            heat.thd_i_pct = s.at(5).is_number() ? s.at(5).get<double>() : std::nan("");
            heat.night_fraction = s.at(6).get<double>();
            h.series.push_back(heat);
        }
    });
}

}  // namespace sealwatch::detect
