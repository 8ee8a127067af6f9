#pragma once
// `sealwatch-county run` (docs/county.md): subscribes to <topic_prefix>/# with a persistent
// session (QoS 1, clean_session false, the configured client id) and records every message in
// data_dir/county.db through county/ingest, until SIGTERM or SIGINT.
//
// Each message is committed on the link's network thread before the next one is read. The
// broker holds what arrives while `run` is away (its session), so a restart, a kill -9
// included, loses nothing the broker kept; libmosquitto acknowledges a message to the broker
// just before handing it over, so the one message being committed at the instant of a kill is
// the exception, and shows in `gaps` (docs/county.md).
#include "county/config.hpp"

namespace sealwatch::county {

// 0 after a clean stop; 1 when the database fails (the daemon stops rather than acknowledge
// and drop), or the broker settings cannot be used.
int run(const Config& config);

}  // namespace sealwatch::county
