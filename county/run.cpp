#include "county/run.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>

#include "common/log.hpp"
#include "county/broker_link.hpp"
#include "county/ingest.hpp"
#include "county/store/sqlite_store.hpp"
#include "wire/json.hpp"

namespace sealwatch::county {

int run(const Config& config) {
    // SIGTERM/SIGINT are waited for by this thread only: blocked before the link's thread starts,
    // which inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    const auto path = database_path(config.data_dir);
    auto store = SqliteStore::open(path, SqliteStore::Mode::read_write);
    if (!store) {
        log::error("county: ", store.error().message);
        return 1;
    }
    Ingest ingest(**store, config.broker.topic_prefix);
    std::atomic<bool> failed{false};

    auto settings = broker_link(config.broker);
    settings.clean_session = false;
    settings.subscriptions = {config.broker.topic_prefix + "/#"};
    // A telemetry message of a long backlog is far above the link's default; what the wire
    // decoders accept is the limit (a longer one is cut and counted as garbage).
    settings.max_message_bytes = wire::Limits{}.max_bytes;
    // Recorded right here on the network thread, not queued: the message is acknowledged to the
    // broker already, so the shorter the way to the commit, the less a kill -9 can take.
    uplink::MqttLink link(settings, [&](const uplink::LinkNote& note) {
        if (note.kind != uplink::LinkNote::Kind::message || failed) return;
        if (auto r = ingest.message(note.topic, note.payload, wall_now_ms()); !r) {
            log::error("county: ", r.error().message, " (stopping)");
            failed = true;
            ::kill(::getpid(), SIGTERM);
        }
    });
    if (auto r = link.start(); !r) {
        log::error("county: ", r.error().message);
        return 1;
    }
    log::info("county: recording ", settings.subscriptions.front(), " from ", settings.host, ":",
              settings.port, " as ", settings.client_id, " into ", path);
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    link.stop();
    for (const auto& [kind, count] : ingest.garbage())
        log::warning("county: ", count, " unreadable ", kind, " message(s) skipped");
    log::info("county: stopped");
    return failed ? 1 : 0;
}

}  // namespace sealwatch::county
