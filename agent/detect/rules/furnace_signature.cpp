#include "detect/rules/furnace_signature.hpp"

#include <algorithm>

#include "detect/evidence.hpp"
#include "detect/severity.hpp"

namespace sealwatch::detect {

namespace {
constexpr const char* kType = "furnace_signature";
constexpr WallMs kHeatDropMs = 120'000;  // a heat ends when the draw stays low this long
constexpr size_t kMaxSeries = 32;        // heats kept as evidence of one series
// At tapping the furnace's inverter is switched off: the draw falls to its idle (cooling pumps,
// lights), a few % of a heat's mean at most. A load that only slows down between its "heats"
// (a fan on a variable-speed drive at low speed) stays at a large share of it.
constexpr double kIdleShare = 0.1;

// How long a draw of `w` takes to use `wh`, at most `span` (the stretch it was used in).
WallMs ms_at(double wh, double w, WallMs span) {
    double ms = w > 0 ? wh * 3.6e6 / w : 0;
    return ms < static_cast<double>(span) ? static_cast<WallMs>(std::max(ms, 0.0)) : span;
}
}  // namespace

size_t FurnaceSignature::index_of(const AssetTrack& a) const {
    return static_cast<size_t>(&a - site_.assets.data());
}

void FurnaceSignature::on_reading(const MeterReading& r, Events& out) {
    if (!r.asset || std::isnan(r.asset_w) || !restricted(r.asset->state)) return;
    const auto& a = *r.asset;
    const auto& h = assets_[index_of(a)];
    // What the registers counted over a stretch nobody saw (the meter or the gateway away).
    const bool counted = r.adv_span > a.timing.gap && (r.imp.advanced || r.exp.advanced);
    const double unseen_wh = counted ? r.adv_kwh * 1000 : std::nan("");
    if (h.in && r.ts - h.prev_ts > a.timing.gap)
        across_unseen(a, h.prev_ts, r.ts, unseen_wh, r.asset_w, out);
    else if (!h.in && counted && r.asset_w >= a.heat_w)
        across_unseen(a, r.adv_from, r.ts, unseen_wh, r.asset_w, out);
    heat_sample(a, r.ts, r.asset_w, r.thd, out);
}

void FurnaceSignature::start_heat(Heats& h, WallMs start, WallMs ts, double w, double thd) {
    h.in = true;
    h.start = start;
    h.prev_ts = ts;
    h.prev_v = h.peak = w;
    h.below_since = -1;
    h.energy_wh = h.thd_sum = h.night_ms = 0;
    h.thd_n = 0;
    if (!std::isnan(thd)) h.thd_sum += thd, ++h.thd_n;
}

void FurnaceSignature::across_unseen(const AssetTrack& a, WallMs from, WallMs ts, double unseen_wh,
                                     double w, Events& out) {
    auto& h = assets_[index_of(a)];
    const double half = a.heat_w * 0.5;
    const WallMs span = ts - from;
    auto count_unseen = [&](WallMs ran) {
        h.energy_wh += unseen_wh;
        if (site_.night(from)) h.night_ms += static_cast<double>(ran);
        h.prev_ts = ts;
        h.prev_v = w;
    };
    if (!h.in) {
        // A heat began unseen: it ran at about today's draw for as long as its energy says.
        WallMs ran = ms_at(unseen_wh, w, span);
        start_heat(h, ts - ran, ts, w, std::nan(""));
        h.energy_wh = unseen_wh;
        if (site_.night(ts - ran)) h.night_ms = static_cast<double>(ran);
        return;
    }
    if (std::isnan(unseen_wh)) {  // no register: judged on what was seen
        end_heat(a, h.prev_ts, ts, false, out);
        return;
    }
    if (w >= half && unseen_wh * 3.6e6 / static_cast<double>(span) >= half) {
        count_unseen(span);  // it went on throughout
        return;
    }
    if (w < half) {
        // It ended unseen, at about its last draw, as long after as its energy says; the drop
        // is judged from here on as if seen.
        WallMs ran = ms_at(unseen_wh, std::max(h.prev_v, half), span);
        count_unseen(ran);
        if (h.below_since < 0) {
            h.below_since = from + ran;
            h.low = w;
        }
        return;
    }
    end_heat(a, h.prev_ts, ts, false, out);  // one ended and another began unseen
}

void FurnaceSignature::heat_sample(const AssetTrack& a, WallMs ts, double w, double thd,
                                   Events& out) {
    auto& h = assets_[index_of(a)];
    if (!h.in) {
        if (w >= a.heat_w) start_heat(h, ts, ts, w, thd);
        return;
    }
    WallMs dt = ts - h.prev_ts;
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
        if (h.below_since < 0) h.below_since = ts, h.low = w;
        h.low = std::min(h.low, w);
        if (ts - h.below_since >= kHeatDropMs) end_heat(a, h.below_since, ts, true, out);
    }
}

void FurnaceSignature::end_heat(const AssetTrack& a, WallMs end, WallMs ts, bool drop_seen,
                                Events& out) {
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
    bool tapped = !drop_seen || h.low <= kIdleShare * heat.mean_w;
    bool induction = std::isnan(heat.thd_i_pct) || heat.thd_i_pct >= d.thd_i_min_pct;
    if (!shaped || !tapped || !induction) return;
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
// thd_i_pct or null, night_fraction] each), the end of the last one, the alarm, and the heat in
// progress ("current", absent when none: snapshots written before it restore as no heat).
void FurnaceSignature::snapshot(ojson& j) const {
    for (const auto& a : site_.assets) {
        const auto& h = assets_[index_of(a)];
        if (h.series.empty() && !h.alarm.raised && !h.in) continue;
        ojson series = ojson::array();
        for (const auto& s : h.series)
            series.push_back({s.start, s.end, s.peak_w, s.energy_kwh, s.mean_w,
                              std::isnan(s.thd_i_pct) ? ojson() : ojson(s.thd_i_pct),
                              s.night_fraction});
        auto& x = asset_entry(j, a.cfg->id)["heats"];
        x = {{"series", std::move(series)}, {"last_end", h.last_end}, {"alarm", h.alarm.to_json()}};
        if (h.in)
            x["current"] = {
                {"start", h.start},     {"prev_ts", h.prev_ts},     {"prev_w", h.prev_v},
                {"peak_w", h.peak},     {"energy_wh", h.energy_wh}, {"night_ms", h.night_ms},
                {"thd_sum", h.thd_sum}, {"thd_n", h.thd_n},         {"below_since", h.below_since},
                {"low_w", h.low}};
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
        if (!hj.contains("current")) return;
        const auto& c = hj["current"];
        h.in = true;
        h.start = c.at("start").get<WallMs>();
        h.prev_ts = c.at("prev_ts").get<WallMs>();
        h.prev_v = c.at("prev_w").get<double>();
        h.peak = c.at("peak_w").get<double>();
        h.energy_wh = c.at("energy_wh").get<double>();
        h.night_ms = c.at("night_ms").get<double>();
        h.thd_sum = c.at("thd_sum").get<double>();
        h.thd_n = c.at("thd_n").get<int>();
        h.below_since = c.at("below_since").get<WallMs>();
        h.low = c.at("low_w").get<double>();
    });
}

}  // namespace sealwatch::detect
