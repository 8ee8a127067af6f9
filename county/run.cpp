#include "county/run.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "common/log.hpp"
#include "county/ingest.hpp"
#include "county/source/source.hpp"
#include "county/store/open_store.hpp"
#include "county/web/server.hpp"

namespace sealwatch::county {

int run(const Config& config) {
    // SIGTERM/SIGINT are waited for by this thread only: blocked before the source's thread
    // starts, which inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // A store that loses its server (PostgreSQL) keeps trying until the stop: the message in
    // hand is not committed yet, and the MQTT source has acknowledged it already.
    std::atomic<bool> keep_trying{true};
    auto store = open_store(config, Access::read_write, &keep_trying);
    if (!store) {
        log::error("county: ", store.error().message);
        return 1;
    }
    // The page reads through a connection of its own (on SQLite a WAL reader beside this
    // writer); a PostgreSQL reader that loses its server fails the request, not the page.
    std::unique_ptr<web::Server> page;
    if (config.web) {
        auto reader = open_store(config, Access::read_only);
        if (!reader) {
            log::error("county: ", reader.error().message);
            return 1;
        }
        auto started = web::Server::start(config, std::move(*reader));
        if (!started) {
            log::error("county: ", started.error().message);
            return 1;
        }
        page = std::move(*started);
        log::info("county: web page on ", page->url(),
                  config.web->password_hash.empty() ? " (no password: loopback only)"
                                                    : " (password asked)");
    }
    Ingest ingest(**store, config.broker.topic_prefix,
                  int64_t{config.power_retention_h} * 3600 * 1000);
    std::atomic<bool> failed{false};
    uint64_t recorded = 0;  // the source's thread only, read after stop()

    auto source = make_source(config);
    // On the source's thread, one message at a time; the source acknowledges (where it can wait
    // for us) only after this returned.
    auto started = source->start([&](const SourceMessage& m) -> Result<void> {
        if (failed) return fail("stopping");
        auto r = ingest.message(m.topic, m.payload, wall_now_ms());
        if (!r) {
            log::error("county: ", r.error().message, " (stopping)");
            failed = true;
            ::kill(::getpid(), SIGTERM);
            return r;
        }
        ++recorded;
        return r;
    });
    if (!started) {
        log::error("county: ", started.error().message);
        return 1;
    }
    log::info("county: recording ", source->describe(), " into ", store_location(config));
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    keep_trying = false;
    source->stop();
    page.reset();
    for (const auto& [kind, count] : ingest.garbage())
        log::warning("county: ", count, " unreadable ", kind, " message(s) skipped");
    log::info("county: stopped, ", recorded, " message(s) recorded");
    return failed ? 1 : 0;
}

}  // namespace sealwatch::county
