#pragma once
// `sealwatch-county run` (docs/county.md): records every message of the configured source
// (county/source/source.hpp: a persistent MQTT subscription to <topic_prefix>/#, or a RabbitMQ
// quorum queue) in the configured store (data_dir/county.db, or PostgreSQL) through
// county/ingest, until SIGTERM or SIGINT. Each message is committed before the next one is
// taken, and acknowledged (where the source can wait) only after its commit. A PostgreSQL store
// that loses its server is retried until it answers or the stop.
//
// With a [web] table it also serves the bureau's read-only page (county/web/server.hpp) from its
// own threads, reading the same database.
#include "county/config.hpp"

namespace sealwatch::county {

// 0 after a clean stop; 1 when the database fails (the daemon stops rather than acknowledge
// and drop), or the source's settings cannot be used.
int run(const Config& config);

}  // namespace sealwatch::county
