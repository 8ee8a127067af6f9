#pragma once
// What sealwatch-county knows of the gateways, behind one interface: the SQLite file in data_dir
// today (county/store/sqlite_store.hpp), PostgreSQL later (issue 12). One contract test suite
// (tests/unit/test_county_store.cpp) holds every implementation to the same behaviour.
//
// Writers: `run` (ingest). Readers: `status`, `gaps`, `alarms`, while `run` goes on. Every
// recording call is atomic on its own: a crash between two calls leaves the first one whole.
// Judging (is this head a good one? which alarm is this?) is the caller's (county/ingest); the
// store keeps what it is told, except the seq ledger, whose arithmetic is county/ledger's and
// runs inside the store's transaction so that concurrent writers cannot lose a range.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/crypto.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "county/ledger.hpp"

namespace sealwatch::county {

// A gateway as its topics name it: <prefix>/<site>/<gateway>/…
struct GatewayRef {
    std::string site, gateway;
    bool operator==(const GatewayRef&) const = default;
};

// The last P/status received (retained; the will says offline).
struct StatusRecord {
    bool online = false;
    WallMs ts = 0;  // as the gateway (or its will) wrote it
    std::string version;
    int64_t boot = 0;
    WallMs received = 0;
};

enum class ChainState { unverified, verified, broken };
const char* to_string(ChainState state);

// What the county holds of a gateway's signed chain heads (P/chain): the key pinned on the
// first good head, the furthest head, and the verdict so far.
struct ChainRecord {
    ChainState state = ChainState::unverified;
    std::optional<chain::PublicKey> pinned_key;
    std::string fingerprint;  // of pinned_key
    int64_t last_n = 0;       // the head with the largest n (0: none yet)
    chain::Digest last_head{};
    WallMs last_ts = 0;  // the signed ts of that head
    std::string reason;  // why broken (empty otherwise)
};

// One head as received, kept for ever (docs/protocol.md: "keep every one you receive").
struct HeadRecord {
    int64_t n = 0;
    chain::Digest head{};
    std::string ts;  // as signed
    WallMs received = 0;
};

// An alarm: the raised/cleared events of one `id`, de-duplicated (QoS 1 re-sends, a cleared
// that overtakes its raised). `cleared` is final: a late `raised` does not reopen it.
struct AlarmRecord {
    GatewayRef gw;
    std::string id, type, severity, asset, meter;
    WallMs started = 0;  // when the condition began (data time)
    WallMs raised = 0;   // the raised event's ts; 0 when only the clear arrived
    std::optional<WallMs> cleared;
    WallMs received = 0;  // when the county first heard of it
    std::string details;  // the raised event's details, JSON text
    bool open() const { return !cleared.has_value(); }
};

// One gateway's command reply (P/cmd/reply), as received.
struct ReplyRecord {
    std::optional<std::string> nonce;
    std::string verb;
    bool ok = false;
    std::string reason;
    WallMs ts = 0;
    std::string result;  // JSON text
    WallMs received = 0;
};

// A gateway's last test event (`sealwatch test-alarm`, type test_alarm, docs/protocol.md): the
// commissioning proof that its events reach the county office. Kept apart from the alarms, it
// never counts as one.
struct TestAlarmRecord {
    std::string id, asset, by, note;
    WallMs ts = 0;  // as the gateway recorded it
    WallMs received = 0;
    uint64_t seq = 0;
    bool operator==(const TestAlarmRecord&) const = default;
};

// A gateway as `status` shows it (the state online/silent/offline is judged by the reader:
// it depends on the time of reading).
struct GatewaySummary {
    GatewayRef gw;
    WallMs first_seen = 0;
    WallMs last_message = 0;  // 0: nothing from the gateway itself yet
    std::optional<StatusRecord> status;
    uint64_t received = 0, missing = 0, last_seq = 0;
    int64_t open_alarms = 0;
    ChainState chain = ChainState::unverified;
    std::optional<TestAlarmRecord> last_test_alarm;
};

// One minute of one meter's active power (p_w) as the county received it, for the web page's
// timeline: the readings of the minute folded together (county/power_minutes.hpp), a gateway's
// own minute rollup taken as it is. The average is sum_w / n.
struct PowerMinute {
    std::string meter;
    WallMs minute = 0;  // the minute's start, UTC, a multiple of 60,000
    int64_t n = 0;      // readings folded in
    double sum_w = 0, min_w = 0, max_w = 0;
    bool operator==(const PowerMinute&) const = default;
};

struct GatewayGaps {
    GatewayRef gw;
    uint64_t last_seq = 0;
    std::vector<SeqGap> gaps;  // in seq order
};

class Store {
  public:
    virtual ~Store() = default;

    // --- recording (ingest); each call is one transaction ------------------------------------
    // Something arrived from the gateway itself (any topic): first seen, last message.
    virtual Result<void> touch(const GatewayRef& gw, WallMs received) = 0;
    // The gateway is known (first seen) without counting as a message from it: a status
    // written by the broker (the will) or a re-delivered retained one.
    virtual Result<void> know(const GatewayRef& gw, WallMs received) = 0;
    virtual Result<void> record_status(const GatewayRef& gw, const StatusRecord& status) = 0;
    // The seq into the gateway's ledger (county/ledger.hpp's rules: gaps open and close).
    virtual Result<SeqLedger::Added> record_seq(const GatewayRef& gw, uint64_t seq,
                                                WallMs received) = 0;
    // An alarm event: created on first sight, merged after (see AlarmRecord).
    virtual Result<void> record_alarm(const AlarmRecord& alarm) = 0;
    virtual Result<void> record_head(const GatewayRef& gw, const HeadRecord& head) = 0;
    virtual Result<void> set_chain(const GatewayRef& gw, const ChainRecord& chain) = 0;
    virtual Result<void> record_reply(const GatewayRef& gw, const ReplyRecord& reply) = 0;
    // Kept when it is the gateway's latest by its ts (a re-sent older one changes nothing).
    virtual Result<void> record_test_alarm(const GatewayRef& gw, const TestAlarmRecord& test) = 0;
    // Minutes merged into the gateway's power series (n and sum add up, min and max widen), in
    // one transaction; minutes before `keep_from` are not kept, and the ones already held that
    // lie before it are dropped (bounded retention). Callers pass each message's minutes once:
    // a re-sent seq must not come here again.
    virtual Result<void> record_power(const GatewayRef& gw, const std::vector<PowerMinute>& minutes,
                                      WallMs keep_from) = 0;

    // --- queries -----------------------------------------------------------------------------
    virtual Result<std::optional<StatusRecord>> status(const GatewayRef& gw) = 0;
    virtual Result<ChainRecord> chain(const GatewayRef& gw) = 0;  // unverified when unknown
    virtual Result<std::optional<HeadRecord>> head_at(const GatewayRef& gw, int64_t n) = 0;
    virtual Result<std::vector<GatewaySummary>> gateways() = 0;  // by site, then gateway
    virtual Result<std::vector<GatewayGaps>> gaps() = 0;         // every gateway, same order
    // Open alarms only, or all; by gateway, then when first received.
    virtual Result<std::vector<AlarmRecord>> alarms(bool include_cleared) = 0;
    virtual Result<std::vector<ReplyRecord>> replies(const GatewayRef& gw) = 0;  // oldest first
    // The gateway's power minutes with from <= minute < to, by meter, then minute.
    virtual Result<std::vector<PowerMinute>> power(const GatewayRef& gw, WallMs from,
                                                   WallMs to) = 0;
};

}  // namespace sealwatch::county
