#pragma once
// Evidence bundles: `sealwatch export` writes one, `sealwatch verify` checks one, offline.
//
//   manifest.json        gateway, period, counts, chain heads, file digests, public key, signature
//   readings.csv         the analyze CSV (ts,meter,serial,<quantities>), chain order
//   events.jsonl         event objects, chain order
//   chain.csv            one line per chain entry: how many rows of which file it covers, its head
//   context/…            with --asset: the other meters' readings and the other events, which the
//                        chain needs to be checked (a chain entry covers a whole batch)
//   report.html          the inspector's view (report.hpp)
//
// The bundle covers whole chain entries: rows a little outside the period can appear. Entries
// whose raw readings were rolled up on the gateway (retention) are listed with their digest and
// no rows; verify counts them and says so.
#include <optional>
#include <string>
#include <vector>

#include "chain/crypto.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace sealwatch::evidence {

inline constexpr const char* kBundleFormat = "sealwatch-evidence/1";

struct ExportOptions {
    WallMs from = 0, to = 0;
    std::optional<std::string> asset;
    std::string out_dir;
};

struct ExportSummary {
    int64_t entries = 0, first_n = 0, last_n = 0;
    int64_t readings = 0, events = 0;                  // in readings.csv / events.jsonl
    int64_t context_readings = 0, context_events = 0;  // in context/
    int64_t rolled_up_entries = 0, rolled_up_readings = 0;
    int64_t corrupt_entries = 0;  // stored rows that no longer match their chain entry
    std::string fingerprint;
};

Result<ExportSummary> export_bundle(store::Store& store, const config::Config& cfg,
                                    const chain::SigningKey& key, const ExportOptions& options);

struct VerifyReport {
    bool ok = false;
    std::string problem;             // the first bad record, when !ok
    std::vector<std::string> notes;  // what was checked, and what could not be
};

// expected_key: the key the bundle must be signed with (--pubkey); without it the bundle's own
// key is used and its fingerprint printed for comparison with the gateway's.
VerifyReport verify_bundle(const std::string& dir,
                           const std::optional<chain::PublicKey>& expected_key);

// The bytes the manifest's signature covers: the manifest without "signature", compact JSON
// with the members in file order.
std::string manifest_signed_bytes(const std::string& manifest_text, std::string* signature_b64,
                                  std::string* error);

}  // namespace sealwatch::evidence
