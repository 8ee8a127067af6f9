#pragma once
// The tamper-evident log: every committed batch of readings and every event is one chain entry,
// head(n) = SHA-256 over head(n-1) and the entry's digest. The canonical forms below are what is
// hashed; they are plain text so that anyone can re-implement the check (docs/evidence.md).
//
//   record   = ts_ms "|" meter "|" len(serial) ":" serial "|" q "=" value (";" q "=" value)*
//              notes "\n"
//              q = index in kQuantities, ascending; value = shortest round-trip decimal
//              (std::to_chars); non-finite values are left out; serial empty when unknown
//   notes    = "" when every note has its default, else "|" note (";" note)*, in this order
//              and each only when not at its default:
//              "ct=" ratio, "pt=" ratio   the CT/PT ratio the values were multiplied by
//                                         (common/instrument_ratios.hpp), default 1
//              "clock_unsynced"           the wall clock was not synchronised at the poll
//                                         (ts may be off); default: it was
//              A record without notes has the form of the versions before them, so older
//              chains and bundles verify unchanged.
//   readings digest = SHA-256("sealwatch/readings/v1\n" record*)   records sorted by (ts, meter)
//   event digest    = SHA-256("sealwatch/event/v1\n" body "\n")    body = the stored JSON object
//   head(n)  = SHA-256("sealwatch/chain/v1\n" hex(head(n-1)) "\n" n "\n" kind "\n" count "\n"
//                      hex(digest) "\n"),  head(0) = 32 zero bytes, kind 1 readings / 2 event
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "chain/crypto.hpp"
#include "common/clock.hpp"
#include "common/instrument_ratios.hpp"
#include "common/quantities.hpp"

namespace sealwatch::chain {

enum class EntryKind : int { readings = 1, event = 2 };

inline constexpr Digest kGenesis{};

// One reading in the form shared by the store (when chaining), export and verify.
struct Record {
    WallMs ts = 0;
    std::string_view meter;
    std::string_view serial;  // empty: not read
    std::array<double, kQuantities.size()> v;
    InstrumentRatios ratios;  // already applied to v: recorded, never applied again
    bool clock_unsynced = false;
    Record() { v.fill(std::nan("")); }
};

// A record's notes as text, the way the export CSV shows them in its note columns and verify
// reads them back; each cell holds the shortest round-trip decimal the gateway wrote.
struct NoteCells {
    std::string_view ct_ratio = "1";
    std::string_view pt_ratio = "1";
    std::string_view clock_unsynced = "0";  // "1": not synchronised
};
// The note columns the export CSV has after the quantities, in order.
inline constexpr std::array<std::string_view, 3> kNoteColumns = {"ct_ratio", "pt_ratio",
                                                                 "clock_unsynced"};
// Appends the record's notes (above) built from their cells: "" when all are at their default.
void append_notes(std::string& out, const NoteCells& cells);

void append_record(std::string& out, const Record& r);  // the canonical line, hashed
// Both forms at once (each value formatted once): what export does per row.
void append_record_and_csv(std::string& record, std::string& csv, const Record& r);
// The export CSV row: ts (RFC 3339 UTC, ms), meter, serial, then every quantity in kQuantities
// order (empty = absent), then the note columns (kNoteColumns). The header is csv_header().
// Bundles made before the notes have no note columns; verify reads both.
void append_csv_row(std::string& out, const Record& r);
std::string csv_header();

inline constexpr std::string_view kReadingsDomain = "sealwatch/readings/v1\n";
Digest event_digest(std::string_view body);
Digest link(const Digest& prev, int64_t n, EntryKind kind, int64_t count, const Digest& digest);

// What the gateway signs when it publishes its chain head (P/chain) — one line per field.
std::string head_statement(std::string_view gateway, int64_t n, const Digest& head,
                           std::string_view ts);

}  // namespace sealwatch::chain
