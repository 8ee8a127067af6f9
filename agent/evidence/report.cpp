#include "evidence/report.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include "common/text.hpp"

namespace sealwatch::evidence {

namespace {

std::string esc(std::string_view s) {
    return html_escape(s);
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string watts(double w) {
    double a = std::fabs(w);
    if (a >= 1e6) return fmt("%.2f MW", w / 1e6);
    if (a >= 1e3) return fmt("%.1f kW", w / 1e3);
    return fmt("%.0f W", w);
}

// Bilingual label: Chinese first, English after, as on county forms.
std::string bi(std::string_view zh, std::string_view en) {
    return std::string(zh) + " <span class=\"en\">" + std::string(en) + "</span>";
}

// Local time with its offset ("2026-11-22 06:00:00 +08:00"), as status shows it.
std::string when(const ReportData& d, WallMs t) {
    return format_local(t, d.zone.offset_s(t));
}

std::string kwh_text(double kwh) {
    return fmt(std::fabs(kwh) >= 100 ? "%.1f kWh" : "%.3f kWh", kwh);
}

// Energy of one meter between two times. The import register's advance from the first bucket at
// or after `from` to the last one before `to` (or the period's last reading) when the meter has
// one: the meter's own count. Otherwise the mean power of the buckets, each held until the next
// bucket with a reading (the chart's data: an estimate).
struct Energy {
    double kwh = 0;
    bool from_register = true;
};

Energy meter_kwh(const ReportData& d, const PowerSeries& s, WallMs from, WallMs to) {
    if (d.buckets == 0 || d.to <= d.from || to <= from) return {};
    const double bucket_ms = static_cast<double>(d.to - d.from) / static_cast<double>(d.buckets);
    auto bucket_of = [&](WallMs t) {
        double b = std::floor(static_cast<double>(t - d.from) / bucket_ms);
        return static_cast<size_t>(std::clamp(b, 0.0, static_cast<double>(d.buckets - 1)));
    };
    const size_t b_from = bucket_of(from), b_to = bucket_of(to);
    std::optional<double> r0, r1;
    for (size_t b = b_from; b < s.imp.size() && !r0; ++b)
        if (!std::isnan(s.imp[b])) r0 = s.imp[b];
    if (to >= d.to) {
        if (!std::isnan(s.imp_last)) r1 = s.imp_last;
    } else {
        for (size_t b = std::min(b_to + 1, s.imp.size()); b-- > 0 && !r1;)
            if (!std::isnan(s.imp[b])) r1 = s.imp[b];
    }
    if (r0 && r1) return {std::max(0.0, *r1 - *r0), true};
    double wms = 0, held_w = 0;
    bool held = false;
    for (size_t b = 0; b < d.buckets && b < s.n.size(); ++b) {
        if (s.n[b] > 0) {
            held_w = s.sum[b] / s.n[b];
            held = true;
        }
        if (!held) continue;
        double b0 = static_cast<double>(d.from) + bucket_ms * static_cast<double>(b);
        double overlap = std::min(b0 + bucket_ms, static_cast<double>(to)) -
                         std::max(b0, static_cast<double>(from));
        if (overlap > 0) wms += held_w * overlap;
    }
    return {wms / 3.6e9, false};
}

std::string energy_text(const Energy& e) {
    return kwh_text(e.kwh) + " <span class=\"en\">(" +
           (e.from_register ? bi("电能表计数", "import register")
                            : bi("按功率估算", "estimated from power")) +
           ")</span>";
}

// The meters whose draw is an alarm's: the asset's, or the one meter it names.
std::vector<const PowerSeries*> alarm_meters(const ReportData& d, const config::Config& cfg,
                                             const Event& e) {
    std::vector<const PowerSeries*> out;
    auto take = [&](const std::string& m) {
        if (auto it = d.meters.find(m); it != d.meters.end()) out.push_back(&it->second);
    };
    for (const auto& a : cfg.assets)
        if (a.id == e.asset)
            for (const auto& m : a.meters) take(m);
    if (e.asset.empty() && !e.meter.empty()) take(e.meter);
    return out;
}

const char* state_zh(std::string_view s) {
    if (s == "operating") return "运行";
    if (s == "rectifying") return "整改";
    if (s == "shut") return "停产";
    if (s == "sealed") return "查封";
    if (s == "dismantled") return "拆除";
    return "";
}

const char* type_zh(std::string_view t) {
    static const std::pair<const char*, const char*> names[] = {
        {"reenergized", "查封设备重新通电"},
        {"production_suspected", "疑似恢复生产"},
        {"consumption_while_offline", "离线期间用电"},
        {"furnace_signature", "电炉运行特征"},
        {"meter_offline", "电表离线"},
        {"meter_replaced", "电表被更换"},
        {"counter_rollback", "电量计数回退"},
        {"reverse_energy", "反向电能"},
        {"phase_loss", "缺相"},
        {"unmetered_load", "未计量负荷"},
        {"enclosure_open", "机箱被打开"},
        {"power_restored", "网关恢复供电"},
        {"clock_jump", "时钟跳变"},
        {"asset_state_changed", "设备状态变更"},
        {"storage_budget", "存储空间不足"},
        {"inspection", "现场检查导出（U盘）"},
        {"inspection_refused", "U盘检查请求被拒绝"},
        {"inspection_failed", "U盘检查导出失败"},
        {"storage_full", "存储已满"},
        {"database_damaged", "数据库损坏已替换"},
    };
    for (const auto& [en, zh] : names)
        if (t == en) return zh;
    return "";
}

struct Span {
    WallMs from, to;
    std::string type, id, severity;
    bool open;
};

constexpr double kW = 860, kH = 230, kL = 70, kR = 10, kT = 12, kB = 28;

std::string chart(const ReportData& d, const config::Asset& a, const std::vector<Span>& spans,
                  const std::vector<const Event*>& changes) {
    std::vector<double> avg(d.buckets, NAN), top(d.buckets, NAN);
    for (const auto& m : a.meters) {
        auto it = d.meters.find(m);
        if (it == d.meters.end()) continue;
        const auto& s = it->second;
        for (size_t b = 0; b < d.buckets; ++b) {
            if (s.n[b] == 0) continue;
            avg[b] = (std::isnan(avg[b]) ? 0 : avg[b]) + s.sum[b] / s.n[b];
            top[b] = (std::isnan(top[b]) ? 0 : top[b]) + s.max[b];
        }
    }
    double ymax = std::max(a.standby_w * 2, 100.0);
    for (double v : top)
        if (!std::isnan(v)) ymax = std::max(ymax, v);
    ymax *= 1.08;
    const double pw = kW - kL - kR, ph = kH - kT - kB;
    const auto span_ms = static_cast<double>(d.to - d.from);
    auto x_of_t = [&](WallMs t) {
        double f = static_cast<double>(std::clamp(t, d.from, d.to) - d.from) / span_ms;
        return kL + f * pw;
    };
    auto x_of_b = [&](size_t b) {
        return kL + (static_cast<double>(b) + 0.5) / static_cast<double>(d.buckets) * pw;
    };
    auto y_of = [&](double w) { return kT + ph - std::max(0.0, w) / ymax * ph; };

    std::string s = "<svg class=\"chart\" viewBox=\"0 0 " + fmt("%.0f", kW) + " " +
                    fmt("%.0f", kH) + "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">";
    s += "<title>" + esc(a.id) + " power / 功率</title>";
    // Alarm spans under everything.
    for (const auto& sp : spans) {
        double x0 = x_of_t(sp.from), x1 = std::max(x_of_t(sp.to), x0 + 2);
        s += "<rect class=\"alarm " + esc(sp.severity) + "\" x=\"" + fmt("%.1f", x0) + "\" y=\"" +
             fmt("%.1f", kT) + "\" width=\"" + fmt("%.1f", x1 - x0) + "\" height=\"" +
             fmt("%.1f", ph) + "\"><title>" + esc(sp.type) + " " + when(d, sp.from) + " – " +
             (sp.open ? std::string("open") : when(d, sp.to)) + "</title></rect>";
    }
    // Grid and axis labels.
    for (int i = 0; i <= 4; ++i) {
        double w = ymax / 1.08 * i / 4, y = y_of(w);
        s += "<line class=\"grid\" x1=\"" + fmt("%.1f", kL) + "\" x2=\"" + fmt("%.1f", kW - kR) +
             "\" y1=\"" + fmt("%.1f", y) + "\" y2=\"" + fmt("%.1f", y) + "\"/>";
        s += "<text class=\"axis\" x=\"" + fmt("%.1f", kL - 6) + "\" y=\"" + fmt("%.1f", y + 4) +
             "\" text-anchor=\"end\">" + watts(w) + "</text>";
    }
    for (int i = 0; i <= 4; ++i) {
        WallMs t = d.from + static_cast<WallMs>(span_ms * i / 4);
        std::string label = when(d, t).substr(0, 16);  // the period line gives the offset
        s += "<text class=\"axis\" x=\"" + fmt("%.1f", x_of_t(t)) + "\" y=\"" +
             fmt("%.1f", kH - 8) + "\" text-anchor=\"" +
             (i == 0   ? "start"
              : i == 4 ? "end"
                       : "middle") +
             "\">" + label + "</text>";
    }
    // Standby allowance.
    if (a.standby_w > 0) {
        double y = y_of(a.standby_w);
        s += "<line class=\"standby\" x1=\"" + fmt("%.1f", kL) + "\" x2=\"" + fmt("%.1f", kW - kR) +
             "\" y1=\"" + fmt("%.1f", y) + "\" y2=\"" + fmt("%.1f", y) + "\"><title>standby " +
             watts(a.standby_w) + "</title></line>";
    }
    // Peak envelope and average, broken where there is no data.
    auto path = [&](const std::vector<double>& v) {
        std::string p;
        bool pen = false;
        for (size_t b = 0; b < v.size(); ++b) {
            if (std::isnan(v[b])) {
                pen = false;
                continue;
            }
            p += (pen ? "L" : "M") + fmt("%.1f", x_of_b(b)) + "," + fmt("%.1f", y_of(v[b]));
            pen = true;
        }
        return p;
    };
    s += "<path class=\"peak\" d=\"" + path(top) + "\"/>";
    s += "<path class=\"power\" d=\"" + path(avg) + "\"/>";
    // State changes.
    for (const auto* e : changes) {
        double x = x_of_t(e->ts);
        s += "<line class=\"change\" x1=\"" + fmt("%.1f", x) + "\" x2=\"" + fmt("%.1f", x) +
             "\" y1=\"" + fmt("%.1f", kT) + "\" y2=\"" + fmt("%.1f", kT + ph) + "\"/>";
        s += "<text class=\"change\" x=\"" + fmt("%.1f", x + 3) + "\" y=\"" + fmt("%.1f", kT + 12) +
             "\">" + esc(e->details.value("to", "")) + "</text>";
    }
    s += "<rect class=\"frame\" x=\"" + fmt("%.1f", kL) + "\" y=\"" + fmt("%.1f", kT) +
         "\" width=\"" + fmt("%.1f", pw) + "\" height=\"" + fmt("%.1f", ph) + "\"/>";
    s += "</svg>";
    return s;
}

constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #111;
       max-width: 900px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 22px 0 6px;
  border-bottom: 2px solid #333; } h3 { font-size: 14px; margin: 12px 0 4px; }
.en { color: #555; font-weight: normal; font-size: 0.85em; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 4px 0 8px; }
th, td { border: 1px solid #bbb; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #eee; }
.ok { color: #0a6b0a; font-weight: bold; } .bad { color: #b00000; font-weight: bold; }
.mono { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 11px;
  word-break: break-all; }
svg.chart { width: 100%; height: auto; border: 1px solid #ccc; background: #fff; }
svg .grid { stroke: #e4e4e4; stroke-width: 1; } svg .axis { font-size: 10px; fill: #444; }
svg .frame { fill: none; stroke: #888; }
svg .power { fill: none; stroke: #1f4e9c; stroke-width: 1.4; }
svg .peak { fill: none; stroke: #9db6e0; stroke-width: 0.8; }
svg .standby { stroke: #0a6b0a; stroke-dasharray: 5 4; stroke-width: 1; }
svg .alarm { fill: #ff3b30; fill-opacity: 0.16; } svg .alarm.critical { fill-opacity: 0.26; }
svg line.change { stroke: #8a2be2; stroke-width: 1.5; stroke-dasharray: 2 2; }
svg text.change { font-size: 10px; fill: #8a2be2; }
.legend span { display: inline-block; margin-right: 14px; font-size: 11px; }
.sw { display: inline-block; width: 14px; height: 8px; margin-right: 4px; vertical-align: middle; }
.asset { page-break-inside: avoid; break-inside: avoid; }
@media print { body { margin: 10mm; max-width: none; } h2 { page-break-after: avoid; }
  .asset { page-break-inside: avoid; } a { color: inherit; text-decoration: none; } }
@page { size: A4; margin: 12mm; }
)css";

}  // namespace

namespace {

// What the asset drew over the period, summed over its meters.
std::string asset_energy(const ReportData& d, const config::Asset& a) {
    Energy total;
    bool any = false;
    for (const auto& m : a.meters) {
        auto it = d.meters.find(m);
        if (it == d.meters.end()) continue;
        any = true;
        Energy e = meter_kwh(d, it->second, d.from, d.to);
        total.kwh += e.kwh;
        total.from_register = total.from_register && e.from_register;
    }
    return any ? energy_text(total) : "–";
}

// The energy drawn while an alarm was open: on its `cleared` row (and on an info event that
// carries it) the detector's own figure (energy_kwh, from the witness counter where there is
// one); on the `raised` row of an alarm still open at the period's end, the meters' count so far
// (meter_kwh). Other rows: empty (the cleared row has it).
std::string alarm_energy(const ReportData& d, const config::Config& cfg, const Event& e,
                         bool open_at_end) {
    if (e.state != EventState::raised) {
        auto it = e.details.find("energy_kwh");
        if (it != e.details.end() && it->is_number()) return kwh_text(it->get<double>());
        if (e.state == EventState::info) return {};
    } else if (!open_at_end) {
        return {};
    }
    auto meters = alarm_meters(d, cfg, e);
    if (meters.empty()) return {};
    WallMs from = e.started ? e.started : e.ts;
    WallMs to = e.state == EventState::raised ? d.to : e.ts;
    Energy total;
    for (const auto* s : meters) {
        Energy one = meter_kwh(d, *s, from, to);
        total.kwh += one.kwh;
        total.from_register = total.from_register && one.from_register;
    }
    return energy_text(total) + (open_at_end ? " " + bi("至今", "so far") : std::string());
}

}  // namespace

std::string render_report(const ReportData& d, const config::Config& cfg) {
    // Alarm spans by id (raised .. cleared), state changes per asset.
    std::map<std::string, Span> open;
    std::map<std::string, std::vector<Span>> spans;
    std::map<std::string, std::vector<const Event*>> changes;
    std::vector<const Event*> alarms;
    std::set<std::string> only;  // with a bundle for one asset: its events and its meters'
    if (d.asset) {
        only.insert(*d.asset);
        for (const auto& a : cfg.assets)
            if (a.id == *d.asset) only.insert(a.meters.begin(), a.meters.end());
    }
    for (const auto& e : d.events) {
        if (d.asset && !only.contains(e.asset) && !only.contains(e.meter)) continue;
        if (e.type == "asset_state_changed") changes[e.asset].push_back(&e);
        if (e.state == EventState::raised) {
            open[e.id] = {e.started ? e.started : e.ts,       d.to, e.type, e.id,
                          std::string(to_string(e.severity)), true};
            alarms.push_back(&e);
        } else if (e.state == EventState::cleared) {
            auto it = open.find(e.id);
            Span sp = it != open.end()
                          ? it->second
                          : Span{e.started ? e.started : d.from,     e.ts, e.type, e.id,
                                 std::string(to_string(e.severity)), false};
            sp.to = e.ts;
            sp.open = false;
            if (it != open.end()) open.erase(it);
            spans[e.asset.empty() ? e.meter : e.asset].push_back(sp);
            alarms.push_back(&e);
        } else if (e.type != "asset_state_changed") {
            alarms.push_back(&e);
        }
    }
    for (const auto& [id, sp] : open) {
        // An open alarm belongs to the asset named in its raised event.
        for (const auto& e : d.events)
            if (e.id == id && e.state == EventState::raised) {
                spans[e.asset.empty() ? e.meter : e.asset].push_back(sp);
                break;
            }
    }

    std::set<std::string> still_open;
    for (const auto& [id, sp] : open) still_open.insert(id);

    std::string h;
    h.reserve(1 << 16);
    h += "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">";
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    h += "<title>" + esc(d.gateway) + " " + when(d, d.from) + " – " + when(d, d.to) +
         " 用电证据 Evidence</title><style>" + kStyle + "</style></head><body>\n";
    h += "<h1>" + bi("封存设备用电证据报告", "Evidence report: power drawn by sealed equipment") +
         "</h1>\n";
    h += "<table><tr><th>" + bi("网关", "Gateway") + "</th><td>" + esc(d.gateway) + "</td><th>" +
         bi("厂区", "Site") + "</th><td>" + esc(d.site) + "</td></tr>";
    h += "<tr><th>" + bi("时段", "Period") + "</th><td colspan=\"3\">" + when(d, d.from) + " – " +
         when(d, d.to) + " (" + esc(d.zone_name) + ")" +
         (d.asset ? " · " + bi("设备", "asset") + " " + esc(*d.asset) : std::string()) +
         "</td></tr>";
    h += "<tr><th>" + bi("导出时间", "Exported") + "</th><td>" + when(d, d.created) + "</td><th>" +
         bi("软件", "Software") + "</th><td>" + esc(d.software) + "</td></tr></table>\n";

    // Verification summary.
    bool intact = d.corrupt_entries == 0;
    h += "<h2>" + bi("完整性核验", "Verification") + "</h2>\n<table>";
    h += "<tr><th>" + bi("导出时核验", "Checked at export") + "</th><td>" +
         (intact ? "<span class=\"ok\">" + bi("完整，未被篡改", "intact, unaltered") + "</span>"
                 : "<span class=\"bad\">" + std::to_string(d.corrupt_entries) + " " +
                       bi("条记录与链不符", "entries do not match the chain") + "</span>") +
         "</td></tr>";
    h += "<tr><th>" + bi("链记录", "Chain entries") + "</th><td>" + std::to_string(d.first_n) +
         " – " + std::to_string(d.last_n) + " (" + std::to_string(d.entries) +
         "): " + std::to_string(d.readings) + " " + bi("条读数", "readings") + ", " +
         std::to_string(d.event_count) + " " + bi("条事件", "events") + "</td></tr>";
    if (d.rolled_up_entries > 0)
        h += "<tr><th>" + bi("已归并", "Rolled up") + "</th><td>" +
             std::to_string(d.rolled_up_readings) + " " +
             bi("条原始读数已在网关上归并为分钟均值（仅保留摘要）",
                "raw readings had been rolled up into minute averages on the gateway (digest "
                "kept, values not in this bundle)") +
             "</td></tr>";
    for (const auto& [meter, pairs] : d.ratios) {
        std::string list;
        for (const auto& [ct, pt] : pairs)
            list += (list.empty() ? "" : "; ") + std::string("CT ") + fmt("%g", ct) + " × PT " +
                    fmt("%g", pt);
        h += "<tr><th>" + bi("互感器变比", "Transformer ratios") + "</th><td>" + esc(meter) + ": " +
             list + " — " +
             bi("所示数值为一次侧值（电表读数乘以变比）",
                "the values shown are primary values (the meter's readings times the ratios)") +
             "</td></tr>";
    }
    if (d.clock_unsynced_readings > 0)
        h += "<tr><th>" + bi("时钟未同步", "Clock not synchronised") + "</th><td>" +
             std::to_string(d.clock_unsynced_readings) + " " +
             bi("条读数采集时网关时钟未同步，其时间可能不准（顺序无误）",
                "readings were taken while the gateway's clock was not synchronised: their times "
                "may be off (their order is not); readings.csv marks them clock_unsynced = 1") +
             "</td></tr>";
    h += "<tr><th>" + bi("起始链头", "Head before") + "</th><td class=\"mono\">" + d.head_before +
         "</td></tr>";
    h += "<tr><th>" + bi("结束链头", "Head after") + "</th><td class=\"mono\">" + d.head_after +
         "</td></tr>";
    h += "<tr><th>" + bi("网关密钥指纹", "Gateway key fingerprint") + "</th><td class=\"mono\">" +
         esc(d.fingerprint) + "</td></tr>";
    h +=
        "<tr><th>" + bi("离线复核", "Check it yourself") + "</th><td>" +
        bi("在本目录运行", "run in this folder:") +
        " <span class=\"mono\">sealwatch verify . --pubkey gateway.pub</span> — " +
        bi("指纹须与现场网关 sealwatch status 显示及县局记录一致",
           "the fingerprint must match `sealwatch status` on the gateway and the county's record") +
        "</td></tr></table>\n";

    h += "<div class=\"legend\"><span><i class=\"sw\" style=\"background:#1f4e9c\"></i>" +
         bi("平均功率", "average power") +
         "</span><span><i class=\"sw\" style=\"background:#9db6e0\"></i>" + bi("峰值", "peak") +
         "</span><span><i class=\"sw\" style=\"background:#ff3b30;opacity:.4\"></i>" +
         bi("告警时段", "alarm") +
         "</span><span><i class=\"sw\" style=\"background:#0a6b0a\"></i>" +
         bi("待机允许值", "standby allowance") +
         "</span><span><i class=\"sw\" style=\"background:#8a2be2\"></i>" +
         bi("状态变更", "state change") + "</span></div>\n";

    for (const auto& a : cfg.assets) {
        if (d.asset && a.id != *d.asset) continue;
        auto st =
            d.states.contains(a.id) ? d.states.at(a.id) : std::string(config::to_string(a.state));
        h += "<div class=\"asset\"><h2>" + esc(a.id) + " · " + esc(a.kind) + " · " + state_zh(st) +
             " <span class=\"en\">" + esc(st) + "</span></h2>\n";
        std::string meters;
        for (const auto& m : a.meters) meters += (meters.empty() ? "" : ", ") + m;
        h += "<p class=\"en\">" + bi("电表", "meters") + ": " + esc(meters) + " · " +
             bi("待机允许", "standby") + " " + watts(a.standby_w) + "</p>\n";
        h +=
            "<p>" + bi("本时段用电", "Energy in the period") + ": " + asset_energy(d, a) + "</p>\n";
        h += chart(d, a, spans[a.id], changes[a.id]);
        h += "<h3>" + bi("状态变更记录", "State history") + "</h3>";
        if (changes[a.id].empty()) {
            h += "<p class=\"en\">" + bi("本时段无变更", "no change in this period") + "</p>";
        } else {
            h += "<table><tr><th>" + bi("时间", "Time") + "</th><th>" + bi("由", "From") +
                 "</th><th>" + bi("至", "To") + "</th><th>" + bi("操作人", "By") + "</th><th>" +
                 bi("说明", "Note") + "</th></tr>";
            for (const auto* e : changes[a.id]) {
                auto from = e->details.value("from", ""), to = e->details.value("to", "");
                h += "<tr><td>" + when(d, e->ts) + "</td><td>" + state_zh(from) + " " + esc(from) +
                     "</td><td>" + state_zh(to) + " " + esc(to) + "</td><td>" +
                     esc(e->details.value("by", "")) + "</td><td>" +
                     esc(e->details.value("note", "")) + "</td></tr>";
            }
            h += "</table>";
        }
        h += "</div>\n";
    }

    h += "<h2>" + bi("告警与事件", "Alarms and events") + "</h2>\n";
    if (alarms.empty()) {
        h += "<p>" + bi("本时段无告警", "No alarm in this period") + "</p>";
    } else {
        h += "<table><tr><th>" + bi("时间", "Time") + "</th><th>" + bi("类型", "Type") +
             "</th><th>" + bi("状态", "State") + "</th><th>" + bi("级别", "Severity") +
             "</th><th>" + bi("设备/电表", "Asset/meter") + "</th><th>" + bi("开始", "Since") +
             "</th><th>" + bi("告警期间用电", "Energy while open") + "</th><th>ID</th></tr>";
        for (const auto* e : alarms) {
            h += "<tr><td>" + when(d, e->ts) + "</td><td>" + type_zh(e->type) + "<br>" +
                 esc(e->type) + "</td><td>" + esc(to_string(e->state)) + "</td><td>" +
                 esc(to_string(e->severity)) + "</td><td>" +
                 esc(e->asset.empty() ? e->meter : e->asset) + "</td><td>" +
                 (e->started ? when(d, e->started) : std::string()) + "</td><td>" +
                 alarm_energy(d, cfg, *e, still_open.contains(e->id)) + "</td><td class=\"mono\">" +
                 esc(e->id) + "</td></tr>";
        }
        h += "</table>";
    }
    h += "<p class=\"en\">" +
         bi("本报告由网关生成，数据以同目录 readings.csv、events.jsonl 为准，经 manifest.json "
            "签名。",
            "Generated on the gateway; the records are readings.csv and events.jsonl in this "
            "folder, signed by manifest.json.") +
         "</p></body></html>\n";
    return h;
}

}  // namespace sealwatch::evidence
