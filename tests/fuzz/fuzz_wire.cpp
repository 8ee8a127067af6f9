// libFuzzer target: what the county office parses from the gateways (a hostile gateway is an
// attacker too): every wire-contract decoder (status, telemetry, event, chain head, command
// reply, topic), and the county's ingest of whole message sequences into an in-memory SQLite
// store (county/ingest: ledger, alarms, the chain-head verdict).
// Input: messages separated by the byte 0x1E; each is a topic up to its first newline, then the
// payload. Topics are relative to the prefix "sw" ("sw/<site>/<gateway>/telemetry").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "county/config.hpp"
#include "county/ingest.hpp"
#include "county/store/sqlite_store.hpp"
#include "wire/chain_head.hpp"
#include "wire/command.hpp"
#include "wire/event.hpp"
#include "wire/status.hpp"
#include "wire/telemetry.hpp"
#include "wire/topics.hpp"

using namespace sealwatch;

namespace {

void parse_everything(std::string_view topic, std::string_view payload) {
    (void)wire::parse_topic("sw", topic);
    (void)wire::parse_status(payload);
    (void)wire::parse_telemetry(payload);
    (void)wire::parse_event_message(payload);
    (void)wire::parse_chain_head(payload);
    (void)wire::parse_reply(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto store = county::SqliteStore::open(":memory:", county::SqliteStore::Mode::read_write);
    if (!store) std::abort();
    // The retention `run` uses by default: power minutes are kept and expired as in the field.
    const county::Config defaults;
    county::Ingest ingest(**store, "sw", int64_t{defaults.power_retention_h} * 3600 * 1000);
    WallMs received = 1795298400000;
    while (!input.empty()) {
        const auto end = input.find('\x1e');
        std::string_view message = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        const auto newline = message.find('\n');
        const auto topic = message.substr(0, newline);
        const auto payload =
            newline == std::string_view::npos ? std::string_view() : message.substr(newline + 1);
        parse_everything(topic, payload);
        // Garbage is counted, never fatal; only the store may fail, and an in-memory one must not.
        if (!ingest.message(topic, payload, received)) __builtin_trap();
        received += 1000;
    }
    return 0;
}
