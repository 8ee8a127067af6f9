#pragma once
// The bureau's read-only web page, served by `sealwatch-county run` when the config has a [web]
// table (docs/county.md, "The web page"): cpp-httplib (Debian's libcpp-httplib) on its own
// threads, TLS with [web.tls], HTTP Basic with [web] password_hash (county/web/auth.hpp).
//
//   GET /                          the page (county/web/page.hpp); ?gateway=SITE/GW&hours=N picks
//                                  the timeline (default: a gateway with an open alarm, 24 h)
//   GET /api/status                what `sealwatch-county status --json` prints
//   GET /api/alarms[?all=1]        what `sealwatch-county alarms --json [--all]` prints
//   GET /api/gaps                  what `sealwatch-county gaps --json` prints
//   GET /api/power?gateway=SITE/GW&hours=N   the power series the chart draws
//
// Only GET and HEAD; every answer carries a Content-Security-Policy that lets the page load
// nothing from anywhere (no script at all), and Cache-Control: no-store.
#include <memory>

#include "common/error.hpp"
#include "county/config.hpp"
#include "county/store/store.hpp"

namespace sealwatch::county::web {

class Server {
  public:
    // Binds config.web's host and port (it must be set) and starts serving what `reader` holds;
    // an error when the port cannot be bound or the TLS files do not load.
    static Result<std::unique_ptr<Server>> start(const Config& config,
                                                 std::unique_ptr<Store> reader);
    ~Server();  // stops serving and joins the threads
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // "https://127.0.0.1:8443/" as people would type it, for the log.
    const std::string& url() const;

  private:
    struct Impl;
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sealwatch::county::web
