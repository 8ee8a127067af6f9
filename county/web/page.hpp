#pragma once
// The bureau's read-only web page (docs/county.md, "The web page"), pure: the HTML of the page
// and the JSON of a gateway's power series, from what the Store gives and the time of reading.
// The fleet's state, missing counts and alarm ages come from the same functions as `status` and
// `alarms` (county/report.hpp), so the page, its JSON endpoints and the CLI agree. Times are
// shown in the page's time zone with their offset; the JSON stays in UTC (RFC 3339).
//
// The page is self-contained: inline CSS and SVG, no script, no font, image or style from
// anywhere, no absolute URL (the server adds a Content-Security-Policy that forbids them too).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "county/store/store.hpp"
#include "detect/timezone.hpp"

namespace sealwatch::county::web {

// One gateway's power and alarms over [from, to).
struct Timeline {
    GatewayRef gw;
    WallMs from = 0, to = 0;
    std::vector<PowerMinute> power;   // by meter, then minute (Store::power)
    std::vector<AlarmRecord> alarms;  // the gateway's, open and cleared
};

struct PageData {
    std::vector<GatewaySummary> gateways;
    std::vector<AlarmRecord> open_alarms;
    std::optional<Timeline> timeline;
    WallMs now = 0;
    int silent_after_s = 60;
    std::string zone_name = "UTC";
    detect::TimeZone zone;
    int refresh_s = 30;  // the page reloads itself (a meta refresh: no script)
};

std::string render_page(const PageData& data);

// {"gateway","site","from","to","meters":[{"meter","minutes":[{"minute","n","avg_w","min_w",
// "max_w"},…]},…]}, times RFC 3339 UTC.
std::string power_json(const Timeline& timeline);

// How the page's links name a gateway: "SITE/GATEWAY" (ids never hold '/').
std::string gateway_key(const GatewayRef& gw);
std::optional<GatewayRef> parse_gateway_key(std::string_view key);

// The gateway the page shows when none is asked for: the first with an open alarm, else the
// first; nullopt for an empty fleet.
std::optional<GatewayRef> default_gateway(const std::vector<GatewaySummary>& gateways);

}  // namespace sealwatch::county::web
