#include "county/web/page.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "common/text.hpp"
#include "county/report.hpp"

namespace sealwatch::county::web {

namespace {

using json = nlohmann::ordered_json;

std::string num(double v, int decimals = 1) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// "2026-11-22 06:00:00 +08:00" in the page's zone.
std::string local(const PageData& d, WallMs t) {
    return t == 0 ? std::string("never") : format_local(t, d.zone.offset_s(t));
}

// An axis label: power in kW, or W below 10 kW of range; never "-0".
std::string power_label(double w, double range_w) {
    const bool kilo = range_w >= 10'000;
    const int decimals = kilo && range_w < 100'000 ? 1 : 0;
    const double scale = std::pow(10.0, decimals);
    double v = std::round((kilo ? w / 1000 : w) * scale) / scale;
    if (v == 0) v = 0;  // -0 becomes 0
    return num(v, decimals) + (kilo ? " kW" : " W");
}

const char* kStyle = R"css(
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "DejaVu Sans", Arial, sans-serif; margin: 20px;
       color: #111; max-width: 1000px; }
h1 { font-size: 20px; margin: 0 0 2px; } h2 { font-size: 16px; margin: 20px 0 6px; }
.meta { color: #555; font-size: 12px; margin: 0 0 10px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; }
th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.online { color: #0a6b0a; font-weight: bold; } .silent { color: #b06000; font-weight: bold; }
.offline { color: #666; font-weight: bold; } .broken, .critical { color: #c00; font-weight: bold; }
.major { color: #b06000; font-weight: bold; } tr.selected td { background: #eef4ff; }
.alert { color: #c00; font-weight: bold; }
svg.chart { width: 100%; height: auto; border: 1px solid #ccc; background: #fff; }
svg .grid { stroke: #e6e6e6; } svg .axis { font-size: 10px; fill: #444; }
svg .zero { stroke: #999; } svg .frame { fill: none; stroke: #888; }
svg .avg { fill: none; stroke-width: 1.6; stroke-linecap: round; stroke-linejoin: round; }
svg .peak { fill: none; stroke-width: 0.7; stroke-opacity: 0.5; }
svg .alarm { fill: #ff3b30; fill-opacity: 0.14; } svg .alarm.critical { fill-opacity: 0.24; }
svg text.alarm-label { font-size: 10px; fill: #a00; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 14px; height: 3px; margin-right: 4px;
            vertical-align: middle; }
footer { margin-top: 20px; color: #777; font-size: 11px; }
)css";

const char* const kColours[] = {"#1f4e9c", "#d95f02", "#1b9e77", "#7570b3",
                                "#e7298a", "#66a61e", "#a6761d", "#444444"};

const char* colour(size_t i) {
    return kColours[i % std::size(kColours)];
}

// The gateway's last `sealwatch test-alarm` (commissioning): when, and in the tooltip for which
// asset and by whom. It is no alarm and is counted nowhere else on the page.
std::string test_cell(const PageData& d, const std::optional<TestAlarmRecord>& t) {
    if (!t) return "<td class=\"test\">never</td>";
    return "<td class=\"test\" title=\"" +
           html_escape(local(d, t->ts) + ": " + t->asset + ", by " + t->by +
                       (t->note.empty() ? "" : " (" + t->note + ")")) +
           "\">" + age_text(t->ts, d.now) + " ago</td>";
}

std::string fleet_table(const PageData& d, const std::optional<GatewayRef>& selected) {
    std::string s =
        "<table class=\"fleet\"><tr><th>Gateway</th><th>Site</th><th>State</th>"
        "<th>Last message</th><th>Received</th><th>Missing</th><th>Open alarms</th>"
        "<th>Chain</th><th>Last test</th></tr>";
    for (const auto& g : d.gateways) {
        const std::string state = to_string(state_of(g, d.now, d.silent_after_s));
        const std::string chain = to_string(g.chain);
        const bool is_selected = selected && *selected == g.gw;
        s += "<tr data-gateway=\"" + html_escape(g.gw.gateway) + "\" data-site=\"" +
             html_escape(g.gw.site) + "\"" + (is_selected ? " class=\"selected\"" : "") + ">";
        s += "<td class=\"gateway\"><a href=\"/?gateway=" + html_escape(gateway_key(g.gw)) + "\">" +
             html_escape(g.gw.gateway) + "</a></td>";
        s += "<td class=\"site\">" + html_escape(g.gw.site) + "</td>";
        s += "<td class=\"state " + state + "\">" + state + "</td>";
        s += "<td class=\"last\" title=\"" + html_escape(local(d, g.last_message)) + "\">" +
             age_text(g.last_message, d.now) + (g.last_message != 0 ? " ago" : "") + "</td>";
        s += "<td class=\"n received\">" + std::to_string(g.received) + "</td>";
        s += std::string("<td class=\"n") + (g.missing > 0 ? " alert" : "") + " missing\">" +
             std::to_string(g.missing) + "</td>";
        s += "<td class=\"n open_alarms\">" + std::to_string(g.open_alarms) + "</td>";
        s += "<td class=\"chain " + chain + "\">" + chain + "</td>";
        s += test_cell(d, g.last_test_alarm) + "</tr>";
    }
    if (d.gateways.empty()) s += "<tr><td colspan=\"9\">no gateway heard from yet</td></tr>";
    return s + "</table>";
}

std::string alarms_table(const PageData& d) {
    if (d.open_alarms.empty()) return "<p class=\"none\">No open alarms.</p>";
    std::string s =
        "<table class=\"alarms\"><tr><th>Gateway</th><th>Site</th><th>Asset</th><th>Meter</th>"
        "<th>Type</th><th>Severity</th><th>Since</th><th>Open for</th></tr>";
    for (const auto& a : d.open_alarms) {
        const WallMs since = a.started != 0 ? a.started : a.received;
        s += "<tr data-id=\"" + html_escape(a.id) +
             "\"><td><a href=\"/?gateway=" + html_escape(gateway_key(a.gw)) + "\">" +
             html_escape(a.gw.gateway) + "</a></td>";
        s += "<td>" + html_escape(a.gw.site) + "</td><td>" +
             html_escape(a.asset.empty() ? "-" : a.asset) + "</td><td>" +
             html_escape(a.meter.empty() ? "-" : a.meter) + "</td>";
        s += "<td class=\"type\">" + html_escape(a.type) + "</td><td class=\"" +
             html_escape(a.severity) + "\">" + html_escape(a.severity) + "</td>";
        s += "<td>" + html_escape(local(d, since)) + "</td><td class=\"n age\">" +
             age_text(since, d.now) + "</td></tr>";
    }
    return s + "</table>";
}

// The SVG chart of one gateway's timeline: per meter, the minute averages (line) and peaks
// (thin line), broken where a minute is missing; alarms as shaded spans from when they started
// to when they cleared (or now).
std::string chart(const PageData& d, const Timeline& t) {
    constexpr double kW = 960, kH = 260, kL = 64, kR = 10, kT = 12, kB = 28;
    const double pw = kW - kL - kR, ph = kH - kT - kB;
    double lo = 0, hi = 100;
    for (const auto& m : t.power) {
        lo = std::min(lo, m.min_w);
        hi = std::max(hi, m.max_w);
    }
    // Round ticks: a step of 1, 2 or 5 times a power of ten, four to ten of them.
    const double raw = (hi - lo) / 5;
    const double decade = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw <= decade       ? decade
                        : raw <= 2 * decade ? 2 * decade
                        : raw <= 5 * decade ? 5 * decade
                                            : 10 * decade;
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    const double span = static_cast<double>(std::max<WallMs>(t.to - t.from, 1));
    auto x_of = [&](WallMs at) {
        return kL + static_cast<double>(std::clamp(at, t.from, t.to) - t.from) / span * pw;
    };
    auto y_of = [&](double w) { return kT + ph - (w - lo) / (hi - lo) * ph; };

    std::string s = "<svg class=\"chart\" viewBox=\"0 0 " + num(kW, 0) + " " + num(kH, 0) +
                    "\" role=\"img\"><title>" + html_escape(t.gw.gateway) +
                    ": power per minute and alarms</title>";
    for (const auto& a : t.alarms) {
        const WallMs begin = a.started != 0 ? a.started : (a.raised != 0 ? a.raised : a.received);
        const WallMs end = a.cleared ? *a.cleared : d.now;
        if (end < t.from || begin >= t.to) continue;
        const double x0 = x_of(begin), x1 = std::max(x_of(end), x0 + 2);
        s += "<rect class=\"alarm " + html_escape(a.severity) + "\" data-id=\"" +
             html_escape(a.id) + "\" x=\"" + num(x0) + "\" y=\"" + num(kT) + "\" width=\"" +
             num(x1 - x0) + "\" height=\"" + num(ph) + "\"><title>" + html_escape(a.type) + " " +
             html_escape(a.asset) + " " + html_escape(local(d, begin)) + " – " +
             (a.cleared ? html_escape(local(d, *a.cleared)) : std::string("open")) +
             "</title></rect>";
        s += "<text class=\"alarm-label\" x=\"" + num(x0 + 3) + "\" y=\"" + num(kT + 11) + "\">" +
             html_escape(a.type) + "</text>";
    }
    const auto ticks = static_cast<int>(std::lround((hi - lo) / step));
    for (int i = 0; i <= ticks; ++i) {
        const double w = lo + step * i, y = y_of(w);
        s += "<line class=\"grid\" x1=\"" + num(kL) + "\" x2=\"" + num(kW - kR) + "\" y1=\"" +
             num(y) + "\" y2=\"" + num(y) + "\"/><text class=\"axis\" x=\"" + num(kL - 5) +
             "\" y=\"" + num(y + 3.5) + "\" text-anchor=\"end\">" + power_label(w, hi - lo) +
             "</text>";
    }
    if (lo < 0)
        s += "<line class=\"zero\" x1=\"" + num(kL) + "\" x2=\"" + num(kW - kR) + "\" y1=\"" +
             num(y_of(0)) + "\" y2=\"" + num(y_of(0)) + "\"/>";
    for (int i = 0; i <= 4; ++i) {
        const WallMs at = t.from + static_cast<WallMs>(span * i / 4);
        const std::string label = local(d, at).substr(5, 11);  // "11-22 06:00"
        s += "<text class=\"axis\" x=\"" + num(x_of(at)) + "\" y=\"" + num(kH - 9) +
             "\" text-anchor=\"" +
             (i == 0   ? "start"
              : i == 4 ? "end"
                       : "middle") +
             "\">" + label + "</text>";
    }
    std::map<std::string, std::pair<std::string, std::string>> paths;  // meter -> (avg, peak)
    std::map<std::string, WallMs> last_minute;
    for (const auto& m : t.power) {
        auto& [avg, peak] = paths[m.meter];
        auto [it, first] = last_minute.try_emplace(m.meter, m.minute);
        const bool pen = !first && m.minute - it->second <= 60'000;
        it->second = m.minute;
        const double x = x_of(m.minute + 30'000);
        const double mean = m.n > 0 ? m.sum_w / static_cast<double>(m.n) : 0;
        // A lone minute is a dot: a zero-length segment with round caps.
        avg += (pen ? "L" : "M") + num(x) + "," + num(y_of(mean)) + (pen ? "" : "l0.01,0");
        peak += (pen ? "L" : "M") + num(x) + "," + num(y_of(m.max_w));
    }
    size_t i = 0;
    std::string legend = "<p class=\"legend\">";
    for (const auto& [meter, p] : paths) {
        const char* c = colour(i++);
        s += "<path class=\"peak\" stroke=\"" + std::string(c) + "\" d=\"" + p.second + "\"/>";
        s += "<path class=\"avg\" data-meter=\"" + html_escape(meter) + "\" stroke=\"" + c +
             "\" d=\"" + p.first + "\"/>";
        legend += "<span><i style=\"background:" + std::string(c) + "\"></i>" + html_escape(meter) +
                  "</span>";
    }
    s += "<rect class=\"frame\" x=\"" + num(kL) + "\" y=\"" + num(kT) + "\" width=\"" + num(pw) +
         "\" height=\"" + num(ph) + "\"/></svg>";
    if (paths.empty()) legend += "<span>no power readings in this period</span>";
    legend +=
        "<span>thick: minute average, thin: minute peak; shaded: an alarm while it was "
        "open</span>";
    return s + legend + "</p>";
}

std::string timeline_section(const PageData& d, const Timeline& t) {
    const auto hours = (t.to - t.from) / 3'600'000;
    std::string s = "<h2 id=\"timeline\">" + html_escape(t.gw.gateway) + " (" +
                    html_escape(t.gw.site) + "): power and alarms, last " + std::to_string(hours) +
                    " h</h2><p class=\"meta\">" + html_escape(local(d, t.from)) + " – " +
                    html_escape(local(d, t.to)) + " · other periods: ";
    for (int h : {1, 6, 24, 72}) {
        s += "<a href=\"/?gateway=" + html_escape(gateway_key(t.gw)) +
             "&amp;hours=" + std::to_string(h) + "#timeline\">" + std::to_string(h) + " h</a> ";
    }
    s += "· <a href=\"/api/power?gateway=" + html_escape(gateway_key(t.gw)) +
         "&amp;hours=" + std::to_string(hours) + "\">JSON</a></p>";
    s += chart(d, t);
    std::string rows;
    for (const auto& a : t.alarms) {
        const WallMs begin = a.started != 0 ? a.started : a.received;
        const WallMs end = a.cleared ? *a.cleared : d.now;
        if (end < t.from || begin >= t.to) continue;
        rows += "<tr><td>" + html_escape(local(d, begin)) + "</td><td>" +
                (a.cleared ? html_escape(local(d, *a.cleared)) : std::string("open")) +
                "</td><td>" + html_escape(a.asset.empty() ? "-" : a.asset) + "</td><td>" +
                html_escape(a.type) + "</td><td class=\"" + html_escape(a.severity) + "\">" +
                html_escape(a.severity) + "</td></tr>";
    }
    if (!rows.empty())
        s += "<table class=\"timeline-alarms\"><tr><th>Started</th><th>Cleared</th><th>Asset</th>"
             "<th>Type</th><th>Severity</th></tr>" +
             rows + "</table>";
    return s;
}

}  // namespace

std::string gateway_key(const GatewayRef& gw) {
    return gw.site + "/" + gw.gateway;
}

std::optional<GatewayRef> parse_gateway_key(std::string_view key) {
    const auto slash = key.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    GatewayRef gw{std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
    if (!is_valid_id(gw.site) || !is_valid_id(gw.gateway)) return std::nullopt;
    return gw;
}

std::optional<GatewayRef> default_gateway(const std::vector<GatewaySummary>& gateways) {
    if (gateways.empty()) return std::nullopt;
    for (const auto& g : gateways)
        if (g.open_alarms > 0) return g.gw;
    return gateways.front().gw;
}

std::string render_page(const PageData& d) {
    const std::optional<GatewayRef> selected =
        d.timeline ? std::optional<GatewayRef>(d.timeline->gw) : std::nullopt;
    const int offset = d.zone.offset_s(d.now);
    std::string zone =
        d.zone_name == "UTC" ? std::string("UTC") : d.zone_name + ", " + local(d, d.now).substr(20);
    std::string s =
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"refresh\" content=\"" +
        std::to_string(d.refresh_s) + "\"><title>sealwatch-county: the fleet</title><style>" +
        kStyle + "</style></head><body>";
    s += "<h1>sealwatch-county: the fleet</h1><p class=\"meta\">As of <span class=\"now\">" +
         html_escape(local(d, d.now)) + "</span>; times in " + html_escape(zone) +
         (offset == 0 && d.zone_name == "UTC" ? " (no time zone configured)" : "") +
         ". Read-only; reloads every " + std::to_string(d.refresh_s) +
         " s. The same numbers as <code>sealwatch-county status</code>: <a "
         "href=\"/api/status\">status</a>, <a href=\"/api/alarms\">alarms</a>, <a "
         "href=\"/api/gaps\">gaps</a> (JSON).</p>";
    s += "<h2>Gateways</h2>" + fleet_table(d, selected);
    s += "<h2>Open alarms</h2>" + alarms_table(d);
    if (d.timeline) s += timeline_section(d, *d.timeline);
    s += "<footer>silent: nothing for " + std::to_string(d.silent_after_s) +
         " s although its status says online; missing: seqs never received up to the highest "
         "seen (sealwatch-county gaps).</footer></body></html>\n";
    return s;
}

std::string power_json(const Timeline& t) {
    json meters = json::array();
    for (const auto& m : t.power) {
        if (meters.empty() || meters.back()["meter"] != m.meter)
            meters.push_back({{"meter", m.meter}, {"minutes", json::array()}});
        meters.back()["minutes"].push_back(
            {{"minute", format_rfc3339(m.minute)},
             {"n", m.n},
             {"avg_w", m.n > 0 ? m.sum_w / static_cast<double>(m.n) : 0.0},
             {"min_w", m.min_w},
             {"max_w", m.max_w}});
    }
    json out = {{"gateway", t.gw.gateway},
                {"site", t.gw.site},
                {"from", format_rfc3339(t.from)},
                {"to", format_rfc3339(t.to)},
                {"meters", meters}};
    return out.dump(2) + "\n";
}

}  // namespace sealwatch::county::web
