#include "county/web/server.hpp"

#include <charconv>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "county/report.hpp"
#include "county/web/auth.hpp"
#include "county/web/page.hpp"

namespace sealwatch::county::web {

namespace {

constexpr const char* kRealm = "Basic realm=\"sealwatch-county\", charset=\"UTF-8\"";
constexpr int kDefaultHours = 24;

// Nothing from anywhere: no script, no font, no image, no frame; only the page's inline style.
const httplib::Headers kHeaders = {
    {"Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; "
     "frame-ancestors 'none'; base-uri 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-store"},
};

int hours_param(const httplib::Request& req, int most) {
    if (!req.has_param("hours")) return std::min(kDefaultHours, most);
    const std::string text = req.get_param_value("hours");
    int h = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), h);
    if (ec != std::errc() || end != text.data() + text.size() || h < 1) return -1;
    return std::min(h, most);
}

void text(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "text/plain; charset=utf-8");
}

}  // namespace

struct Server::Impl {
    Config config;
    std::unique_ptr<Store> store;
    std::mutex store_mutex;  // one reader connection, the server's threads take turns
    BasicAuth auth;
    detect::TimeZone zone;
    std::unique_ptr<httplib::Server> http;
    std::thread thread;
    std::string url;

    Impl(const Config& c, std::unique_ptr<Store> reader)
        : config(c),
          store(std::move(reader)),
          auth(c.web->username, c.web->password_hash),
          zone(detect::TimeZone::load(c.web->timezone)) {}

    httplib::Server::HandlerResponse admit(const httplib::Request& req, httplib::Response& res) {
        res.headers.insert(kHeaders.begin(), kHeaders.end());
        if (req.method != "GET" && req.method != "HEAD") {
            res.set_header("Allow", "GET, HEAD");
            text(res, 405, "read-only: GET and HEAD only\n");
            return httplib::Server::HandlerResponse::Handled;
        }
        switch (auth.check(req.get_header_value("Authorization"))) {
            case BasicAuth::Verdict::ok:
                return httplib::Server::HandlerResponse::Unhandled;
            case BasicAuth::Verdict::busy:
                res.set_header("Retry-After", "1");
                text(res, 429, "too many wrong passwords: try again in a second\n");
                return httplib::Server::HandlerResponse::Handled;
            case BasicAuth::Verdict::wrong:
                break;
        }
        res.set_header("WWW-Authenticate", kRealm);
        text(res, 401, "the bureau's password, please\n");
        return httplib::Server::HandlerResponse::Handled;
    }

    // Runs `read` on the store under its lock; a failing read is a 500 with the reason.
    template <typename Read>
    void answer(httplib::Response& res, const char* type, Read read) {
        Result<std::string> body = [&] {
            std::lock_guard lock(store_mutex);
            return read(*store);
        }();
        if (!body) return text(res, 500, "county database: " + body.error().message + "\n");
        res.set_content(*body, type);
    }

    std::optional<Timeline> timeline(Store& s, const std::vector<GatewaySummary>& gateways,
                                     const std::optional<GatewayRef>& asked, int hours, WallMs now,
                                     Error& error) {
        auto gw = asked ? asked : default_gateway(gateways);
        if (!gw) return std::nullopt;
        Timeline t{*gw, now - int64_t{hours} * 3'600'000, now, {}, {}};
        auto power = s.power(t.gw, t.from, t.to);
        auto alarms = s.alarms(true);
        if (!power || !alarms) {
            error = !power ? power.error() : alarms.error();
            return std::nullopt;
        }
        t.power = std::move(*power);
        for (auto& a : *alarms)
            if (a.gw == t.gw) t.alarms.push_back(std::move(a));
        return t;
    }

    void routes() {
        const int most = config.power_retention_h;
        http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            return admit(req, res);
        });
        http->Get("/", [this, most](const httplib::Request& req, httplib::Response& res) {
            const int hours = hours_param(req, most);
            std::optional<GatewayRef> asked;
            if (req.has_param("gateway")) {
                asked = parse_gateway_key(req.get_param_value("gateway"));
                if (!asked) return text(res, 400, "gateway=SITE/GATEWAY\n");
            }
            if (hours < 0) return text(res, 400, "hours=N, a whole number from 1\n");
            answer(res, "text/html; charset=utf-8", [&](Store& s) -> Result<std::string> {
                PageData d;
                d.now = wall_now_ms();
                d.silent_after_s = config.silent_after_s;
                d.zone_name = config.web->timezone;
                d.zone = zone;
                auto gateways = s.gateways();
                if (!gateways) return tl::unexpected(gateways.error());
                auto open = s.alarms(false);
                if (!open) return tl::unexpected(open.error());
                Error error;
                d.timeline = timeline(s, *gateways, asked, hours, d.now, error);
                if (!error.message.empty()) return tl::unexpected(error);
                d.gateways = std::move(*gateways);
                d.open_alarms = std::move(*open);
                return render_page(d);
            });
        });
        http->Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
            answer(res, "application/json", [&](Store& s) {
                return s.gateways().map([&](const auto& gws) {
                    return status_report(gws, wall_now_ms(), config.silent_after_s, Format::json);
                });
            });
        });
        http->Get("/api/alarms", [this](const httplib::Request& req, httplib::Response& res) {
            const bool all = req.get_param_value("all") == "1";
            answer(res, "application/json", [&](Store& s) {
                return s.alarms(all).map([&](const auto& alarms) {
                    return alarms_report(alarms, wall_now_ms(), all, Format::json);
                });
            });
        });
        http->Get("/api/gaps", [this](const httplib::Request&, httplib::Response& res) {
            answer(res, "application/json", [&](Store& s) {
                return s.gaps().map([&](const auto& gaps) {
                    return gaps_report(gaps, wall_now_ms(), Format::json);
                });
            });
        });
        http->Get("/api/power", [this, most](const httplib::Request& req, httplib::Response& res) {
            const auto gw = parse_gateway_key(req.get_param_value("gateway"));
            const int hours = hours_param(req, most);
            if (!gw || hours < 0) return text(res, 400, "gateway=SITE/GATEWAY&hours=N\n");
            answer(res, "application/json", [&](Store& s) -> Result<std::string> {
                const WallMs now = wall_now_ms();
                Timeline t{*gw, now - int64_t{hours} * 3'600'000, now, {}, {}};
                auto power = s.power(t.gw, t.from, t.to);
                if (!power) return tl::unexpected(power.error());
                t.power = std::move(*power);
                return power_json(t);
            });
        });
        http->set_error_handler([](const httplib::Request&, httplib::Response& res) {
            if (res.body.empty())
                text(res, res.status,
                     "not here: this page has /, /api/status, "
                     "/api/alarms, /api/gaps, /api/power\n");
        });
    }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    impl_->http->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

const std::string& Server::url() const {
    return impl_->url;
}

Result<std::unique_ptr<Server>> Server::start(const Config& config, std::unique_ptr<Store> reader) {
    if (!config.web) return fail("no [web] table");
    const Web& w = *config.web;
    auto impl = std::make_unique<Impl>(config, std::move(reader));
    if (w.tls) {
        auto tls =
            std::make_unique<httplib::SSLServer>(w.tls->cert_file.c_str(), w.tls->key_file.c_str());
        if (!tls->is_valid())
            return fail("[web.tls]: cannot load " + w.tls->cert_file + " and " + w.tls->key_file +
                        " (PEM certificate and its unencrypted key)");
        impl->http = std::move(tls);
    } else {
        impl->http = std::make_unique<httplib::Server>();
    }
    impl->http->new_task_queue = [] { return new httplib::ThreadPool(4); };
    impl->http->set_keep_alive_max_count(20);
    impl->http->set_payload_max_length(4096);  // GET only: no body worth reading
    impl->routes();
    if (!impl->http->bind_to_port(w.host, w.port))
        return fail("web: cannot listen on " + w.host + ":" + std::to_string(w.port) +
                    " (in use, or not an address of this machine)");
    const bool v6 = w.host.find(':') != std::string::npos;
    impl->url = std::string(w.tls ? "https" : "http") + "://" + (v6 ? "[" : "") + w.host +
                (v6 ? "]" : "") + ":" + std::to_string(w.port) + "/";
    auto* http = impl->http.get();
    impl->thread = std::thread([http] { http->listen_after_bind(); });
    // stop() before the loop runs would be lost (httplib 0.11 stops only a running server) and
    // the destructor would wait for ever.
    for (int i = 0; i < 2000 && !http->is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace sealwatch::county::web
