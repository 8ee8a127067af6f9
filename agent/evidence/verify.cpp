// sealwatch verify: re-walks a bundle's chain from the files alone. No config, no database, no
// network: what an inspector's laptop has.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <tuple>

#include "chain/chain.hpp"
#include "evidence/bundle.hpp"

namespace sealwatch::evidence {

namespace {

namespace fs = std::filesystem;

// Reads a file line by line (without the newline), counting lines.
class Lines {
  public:
    bool open(const std::string& path) {
        name_ = path;
        in_.open(path, std::ios::binary);
        return static_cast<bool>(in_);
    }
    bool next(std::string& line) {
        if (!std::getline(in_, line)) return false;
        ++lineno_;
        ended_with_newline_ = !in_.eof();
        return true;
    }
    int64_t lineno() const { return lineno_; }
    bool complete_line() const { return ended_with_newline_; }

  private:
    std::string name_;
    std::ifstream in_;
    int64_t lineno_ = 0;
    bool ended_with_newline_ = true;
};

// One CSV row of the export format back into a Record: ts, meter, serial (quoted when it holds
// a comma or quote), then exactly one cell per quantity, then `notes` note cells (the first
// `notes` of chain::kNoteColumns, as the file's header names them; none in older bundles).
// `values` and `note_text` receive the record form's values and notes, built from the cells.
bool parse_row(const std::string& line, size_t notes, chain::Record& rec, std::string& meter,
               std::string& serial, std::string& values, std::string& note_text, std::string& why) {
    const char* p = line.data();
    const char* end = p + line.size();
    auto field = [&]() {
        const char* s = p;
        while (p < end && *p != ',') ++p;
        std::string_view out(s, static_cast<size_t>(p - s));
        if (p < end) ++p;
        return out;
    };
    auto ts = field();
    // Rows of one second share "YYYY-MM-DDTHH:MM:SS": parse that once, then the milliseconds.
    thread_local char cached[19];
    thread_local WallMs cached_ms = 0;
    thread_local bool have = false;
    if (ts.size() == 24 && ts[19] == '.' && ts[23] == 'Z' && have &&
        std::memcmp(ts.data(), cached, 19) == 0 && ts[20] >= '0' && ts[20] <= '9' &&
        ts[21] >= '0' && ts[21] <= '9' && ts[22] >= '0' && ts[22] <= '9') {
        const int millis = (ts[20] - '0') * 100 + (ts[21] - '0') * 10 + (ts[22] - '0');
        rec.ts = cached_ms + millis;
    } else {
        auto t = parse_time(ts);
        if (!t) {
            why = "bad time '" + std::string(ts) + "'";
            return false;
        }
        rec.ts = *t;
        if (ts.size() == 24 && ts[19] == '.' && ts[23] == 'Z') {
            std::memcpy(cached, ts.data(), 19);
            cached_ms = *t - *t % 1000;
            have = *t >= 0;
        }
    }
    meter.assign(field());
    serial.clear();
    if (p < end && *p == '"') {
        ++p;
        while (p < end) {
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    serial += '"';
                    p += 2;
                    continue;
                }
                ++p;
                break;
            }
            serial += *p++;
        }
        if (p >= end || *p != ',') {
            why = "bad serial cell";
            return false;
        }
        ++p;
    } else {
        serial.assign(field());
    }
    // The values are hashed as written: a cell that is not exactly what the gateway wrote
    // (its shortest round-trip form) fails the digest. Only number characters are allowed, so
    // a cell cannot smuggle in the record form's separators.
    const size_t cells = kQuantities.size() + notes;
    size_t cell = 0;
    auto number_cell = [&](std::string_view column) -> std::optional<std::string_view> {
        const char* s = p;
        while (p < end && *p != ',') {
            char c = *p;
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' ||
                  c == 'E')) {
                why = "not a number in " + std::string(column);
                return std::nullopt;
            }
            ++p;
        }
        std::string_view text(s, static_cast<size_t>(p - s));
        // After the cell: a comma before the next one, the end of the line after the last.
        if (++cell == cells) {
            if (p != end) {
                why = "more cells than the header";
                return std::nullopt;
            }
        } else {
            if (p == end) {
                why = "fewer cells than the header";
                return std::nullopt;
            }
            ++p;
        }
        return text;
    };
    values.clear();
    for (size_t q = 0; q < kQuantities.size(); ++q) {
        auto text = number_cell(kQuantities[q]);
        if (!text) return false;
        if (!text->empty()) {
            if (!values.empty()) values += ';';
            values += std::to_string(q);
            values += '=';
            values += *text;
        }
    }
    chain::NoteCells note_cells;
    std::string_view* note_cell[] = {&note_cells.ct_ratio, &note_cells.pt_ratio,
                                     &note_cells.clock_unsynced};
    static_assert(sizeof note_cell / sizeof note_cell[0] == chain::kNoteColumns.size());
    for (size_t i = 0; i < notes; ++i) {
        auto text = number_cell(chain::kNoteColumns[i]);
        if (!text) return false;
        if (text->empty()) {
            why = "empty " + std::string(chain::kNoteColumns[i]);
            return false;
        }
        *note_cell[i] = *text;
    }
    // A flag has two forms only: any other text would otherwise pass as "synchronised".
    if (note_cells.clock_unsynced != "0" && note_cells.clock_unsynced != "1") {
        why = "clock_unsynced must be 0 or 1";
        return false;
    }
    note_text.clear();
    chain::append_notes(note_text, note_cells);
    return true;
}

// How many note columns (chain::kNoteColumns, in order) a readings file's header has after the
// quantities; nullopt when it is not an export header at all.
std::optional<size_t> note_columns_of(std::string_view header) {
    std::string h = chain::csv_header();
    h.pop_back();  // its newline
    for (size_t notes = chain::kNoteColumns.size();; --notes) {
        if (header == h) return notes;
        if (notes == 0) return std::nullopt;
        h.resize(h.size() - 1 - chain::kNoteColumns[notes - 1].size());  // ",name"
    }
}

// A bundle copied as text (FTP in ASCII mode, a Windows editor, git with autocrlf) has CR LF
// line ends. Its bytes are no longer the signed ones, and nothing is normalised here: the file
// digests cover the bytes as exported. Said as what it is, not as a changed record.
constexpr const char* kCrlfCopy =
    ": lines end in CR LF: the bundle was copied as text (FTP in ASCII mode, a Windows tool, git "
    "with autocrlf), which changes its bytes; copy the original folder again as binary files";

bool ends_in_cr(const std::string& line) {
    return !line.empty() && line.back() == '\r';
}

// A name in the manifest's file list that stays inside the bundle's folder: relative, without
// "..", and no device or folder (a hostile manifest naming /dev/zero would never end).
bool bundle_file_name(const std::string& name) {
    const fs::path p(name);
    if (name.empty() || p.is_absolute()) return false;
    for (const auto& part : p)
        if (part == "..") return false;
    return true;
}

}  // namespace

VerifyReport verify_bundle(const std::string& dir,
                           const std::optional<chain::PublicKey>& expected) {
    VerifyReport rep;
    auto bad = [&](std::string m) {
        rep.ok = false;
        rep.problem = std::move(m);
        return rep;
    };
    auto path = [&](const std::string& name) { return (fs::path(dir) / name).string(); };

    // 1. The manifest, its key and its signature.
    std::ifstream mf(path("manifest.json"), std::ios::binary);
    if (!mf) return bad(path("manifest.json") + ": missing or unreadable");
    std::string text((std::istreambuf_iterator<char>(mf)), std::istreambuf_iterator<char>());
    std::string sig_b64, err;
    std::string signed_bytes = manifest_signed_bytes(text, &sig_b64, &err);
    if (!err.empty()) return bad("manifest.json: " + err + " (truncated or altered)");
    auto m = nlohmann::ordered_json::parse(text, nullptr, false);
    if (const auto format = m.find("format");
        format == m.end() || !format->is_string() || *format != kBundleFormat)
        return bad("manifest.json: not a " + std::string(kBundleFormat) + " bundle");
    chain::PublicKey pub{};
    if (!m.contains("public_key") || !m["public_key"].is_string() ||
        !chain::from_base64(m["public_key"].get<std::string>(), pub))
        return bad("manifest.json: no readable public_key");
    if (expected && *expected != pub)
        return bad("wrong key: the bundle is signed by key " + chain::fingerprint(pub) +
                   ", the expected key is " + chain::fingerprint(*expected));
    chain::Signature sig{};
    if (!chain::from_base64(sig_b64, sig)) return bad("manifest.json: no readable signature");
    if (!chain::verify_signature(pub, signed_bytes, sig))
        return bad(
            "manifest.json: the signature does not verify: the manifest was altered or the "
            "signature forged");
    rep.notes.push_back("signature: valid, key " + chain::fingerprint(pub) +
                        (expected ? " (the expected key)"
                                  : " (the bundle's own key: compare it "
                                    "with the gateway's)"));

    chain::Digest head_before{}, head_after{};
    int64_t first = 0, last = 0;
    try {
        const auto& c = m.at("chain");
        first = c.at("first").get<int64_t>();
        last = c.at("last").get<int64_t>();
        if (!chain::from_hex(c.at("head_before").get<std::string>(), head_before) ||
            !chain::from_hex(c.at("head_after").get<std::string>(), head_after))
            return bad("manifest.json: unreadable chain heads");
    } catch (const std::exception&) {
        return bad("manifest.json: no chain section");
    }
    const bool has_context = m.contains("asset_meters");

    // 2. The chain, entry by entry, from the files.
    Lines chain, readings, events, ctx_readings, ctx_events;
    if (!chain.open(path("chain.csv"))) return bad("chain.csv: missing");
    if (!readings.open(path("readings.csv"))) return bad("readings.csv: missing");
    if (!events.open(path("events.jsonl"))) return bad("events.jsonl: missing");
    if (has_context) {
        if (!ctx_readings.open(path("context/readings.csv")))
            return bad("context/readings.csv: missing");
        if (!ctx_events.open(path("context/events.jsonl")))
            return bad("context/events.jsonl: missing");
    }
    std::string line;
    // Note columns per file: none in bundles from before them, which verify as they always did.
    size_t notes_main = 0, notes_ctx = 0;
    for (auto [f, name, notes] : {std::tuple{&readings, "readings.csv", &notes_main},
                                  {&ctx_readings, "context/readings.csv", &notes_ctx}}) {
        if (name == std::string("context/readings.csv") && !has_context) continue;
        const bool has_header = f->next(line);
        if (has_header && ends_in_cr(line)) return bad(std::string(name) + kCrlfCopy);
        auto columns = has_header ? note_columns_of(line) : std::nullopt;
        if (!columns) return bad(std::string(name) + " line 1: not the expected header");
        *notes = *columns;
    }
    if (!chain.next(line)) return bad("chain.csv: empty");
    if (ends_in_cr(line)) return bad(std::string("chain.csv") + kCrlfCopy);

    chain::Digest head = head_before;
    int64_t n_expected = first;
    int64_t total_readings = 0, total_events = 0, rolled_entries = 0, rolled_readings = 0;
    struct Pending {
        chain::Record rec;
        std::string meter, serial, values, notes, line;
        int64_t lineno = 0;
        bool context = false;
    };
    std::vector<Pending> main_rows, ctx_rows, merged;
    std::string why, rec_line;

    auto read_rows = [&](Lines& f, const char* name, size_t notes, int64_t count, bool context,
                         std::vector<Pending>& out, int64_t n) -> std::optional<std::string> {
        out.clear();
        for (int64_t i = 0; i < count; ++i) {
            Pending p;
            if (!f.next(p.line))
                return std::string(name) + ": ends at line " + std::to_string(f.lineno()) +
                       ", chain entry " + std::to_string(n) + " needs " +
                       std::to_string(count - i) + " more row(s) (file truncated or rows deleted)";
            if (!f.complete_line())
                return std::string(name) + " line " + std::to_string(f.lineno()) +
                       ": cut off (file truncated)";
            p.lineno = f.lineno();
            p.context = context;
            out.push_back(std::move(p));
        }
        for (auto& p : out) {
            if (!parse_row(p.line, notes, p.rec, p.meter, p.serial, p.values, p.notes, why))
                return std::string(name) + " line " + std::to_string(p.lineno) + ": " + why;
        }
        return std::nullopt;
    };

    while (true) {
        if (!chain.next(line)) break;
        auto where = "chain.csv line " + std::to_string(chain.lineno());
        if (!chain.complete_line()) return bad(where + ": cut off (file truncated)");
        // n,kind,count,rows,context_rows,ts_min,ts_max,state,digest,head
        std::vector<std::string> f;
        size_t s = 0;
        while (true) {
            auto c = line.find(',', s);
            f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
            if (c == std::string::npos) break;
            s = c + 1;
        }
        if (f.size() != 10) return bad(where + ": expected 10 fields");
        int64_t n = 0, kind = 0, count = 0, rows = 0, crows = 0, ts_min = 0;
        try {
            n = std::stoll(f[0]);
            kind = std::stoll(f[1]);
            count = std::stoll(f[2]);
            rows = std::stoll(f[3]);
            crows = std::stoll(f[4]);
            ts_min = std::stoll(f[5]);
        } catch (const std::exception&) {
            return bad(where + ": unreadable numbers");
        }
        const std::string& state = f[7];
        if (n != n_expected)
            return bad(where + ": chain entry " + std::to_string(n) + " where " +
                       std::to_string(n_expected) + " was due (an entry was removed or moved)");
        chain::Digest listed_head{};
        if (!chain::from_hex(f[9], listed_head)) return bad(where + ": unreadable head");
        chain::Digest digest{};
        std::string what;
        if (state == "rolled_up") {
            // The raw rows are gone from the gateway: the digest stands in for them.
            if (!chain::from_hex(f[8], digest)) return bad(where + ": unreadable digest");
            if (rows != 0 || crows != 0) return bad(where + ": a rolled-up entry with rows");
            ++rolled_entries;
            rolled_readings += count;
            what = "rolled-up chain entry " + std::to_string(n);
        } else if (rows + crows != count) {
            return bad(where + ": " + std::to_string(rows + crows) +
                       " row(s) listed for an entry of " + std::to_string(count));
        } else if (kind == static_cast<int64_t>(chain::EntryKind::readings)) {
            if (auto e = read_rows(readings, "readings.csv", notes_main, rows, false, main_rows, n))
                return bad(*e);
            if (has_context)
                if (auto e = read_rows(ctx_readings, "context/readings.csv", notes_ctx, crows, true,
                                       ctx_rows, n))
                    return bad(*e);
            // Merge the two files back into the entry's (ts, meter) order.
            merged.clear();
            size_t i = 0, j = 0;
            while (i < main_rows.size() || j < ctx_rows.size()) {
                bool take_main =
                    j >= ctx_rows.size() ||
                    (i < main_rows.size() && std::pair(main_rows[i].rec.ts, main_rows[i].meter) <=
                                                 std::pair(ctx_rows[j].rec.ts, ctx_rows[j].meter));
                merged.push_back(std::move(take_main ? main_rows[i++] : ctx_rows[j++]));
            }
            rec_line.assign(chain::kReadingsDomain);
            for (size_t k = 0; k < merged.size(); ++k) {
                auto& p = merged[k];
                p.rec.meter = p.meter;  // views into this Pending's own strings, after the moves
                p.rec.serial = p.serial;
                if (k > 0 && std::pair(p.rec.ts, p.meter) <
                                 std::pair(merged[k - 1].rec.ts, merged[k - 1].meter))
                    return bad(std::string(p.context ? "context/readings.csv" : "readings.csv") +
                               " line " + std::to_string(p.lineno) +
                               ": out of order (rows were moved) in chain entry " +
                               std::to_string(n));
                // The record form (chain/chain.hpp), values as written in the file.
                rec_line += std::to_string(p.rec.ts);
                rec_line += '|';
                rec_line += p.meter;
                rec_line += '|';
                rec_line += std::to_string(p.serial.size());
                rec_line += ':';
                rec_line += p.serial;
                rec_line += '|';
                rec_line += p.values;
                rec_line += p.notes;
                rec_line += '\n';
            }
            digest = chain::sha256(rec_line);
            total_readings += count;
            auto span_of = [](const std::vector<Pending>& v, const char* name) {
                bool any = false;
                int64_t lo = 0, hi = 0;
                for (const auto& p : v) {
                    if (p.context != (std::string(name) != "readings.csv")) continue;
                    lo = any ? std::min(lo, p.lineno) : p.lineno;
                    hi = any ? std::max(hi, p.lineno) : p.lineno;
                    any = true;
                }
                return any ? std::string(name) + " lines " + std::to_string(lo) + "-" +
                                 std::to_string(hi)
                           : std::string();
            };
            what = span_of(merged, "readings.csv");
            auto ctx = span_of(merged, "context/readings.csv");
            if (!ctx.empty()) what += (what.empty() ? "" : " and ") + ctx;
            if (what.empty()) what = "an empty batch";
        } else if (kind == static_cast<int64_t>(chain::EntryKind::event)) {
            if (count != 1) return bad(where + ": an event entry covers exactly one line");
            Lines& src = rows == 1 ? events : ctx_events;
            const char* name = rows == 1 ? "events.jsonl" : "context/events.jsonl";
            std::string body;
            if (!src.next(body))
                return bad(std::string(name) + ": ends at line " + std::to_string(src.lineno()) +
                           ", chain entry " + std::to_string(n) +
                           " needs one more event (file truncated or event deleted)");
            if (!src.complete_line())
                return bad(std::string(name) + " line " + std::to_string(src.lineno()) +
                           ": cut off (file truncated)");
            digest = chain::event_digest(body);
            ++total_events;
            what = std::string(name) + " line " + std::to_string(src.lineno());
        } else {
            return bad(where + ": unknown entry kind " + f[1]);
        }
        head = chain::link(head, n, static_cast<chain::EntryKind>(kind), count, digest);
        if (head != listed_head)
            return bad(what + " (chain entry " + std::to_string(n) + ", " + format_rfc3339(ts_min) +
                       "): does not match the chain — a record here was changed, inserted, "
                       "deleted or moved");
        ++n_expected;
    }
    if (n_expected - 1 != last)
        return bad("chain.csv: ends at entry " + std::to_string(n_expected - 1) +
                   ", the manifest's chain runs to " + std::to_string(last) +
                   " (file truncated or entries removed)");
    if (head != head_after)
        return bad("chain.csv: the last head differs from the signed manifest's head_after");
    for (auto [f, name] : {std::pair{&readings, "readings.csv"},
                           {&events, "events.jsonl"},
                           {&ctx_readings, "context/readings.csv"},
                           {&ctx_events, "context/events.jsonl"}}) {
        if (!has_context && std::string(name).starts_with("context/")) continue;
        if (f->next(line))
            return bad(std::string(name) + " line " + std::to_string(f->lineno()) +
                       ": a record the chain does not account for (inserted)");
    }

    // 3. Every file as signed (catches what the chain does not cover, e.g. report.html).
    if (m.contains("files") && m["files"].is_object()) {
        for (const auto& [name, desc] : m["files"].items()) {
            if (!bundle_file_name(name))
                return bad("manifest.json: the file list names '" + name +
                           "', which is outside the bundle's folder");
            if (!desc.is_object() || (desc.contains("sha256") && !desc["sha256"].is_string()) ||
                !desc.contains("bytes") || !desc["bytes"].is_number_integer())
                return bad("manifest.json: unreadable entry for " + name + " in the file list");
            if (std::error_code not_a_file; !fs::is_regular_file(path(name), not_a_file))
                return bad(name + ": missing");
            std::ifstream in(path(name), std::ios::binary);
            if (!in) return bad(name + ": missing");
            chain::Sha256 h;
            std::vector<char> buf(1 << 20);
            int64_t bytes = 0;
            if (!desc.contains("sha256")) {  // covered by the chain: only the size is checked
                std::error_code ec;
                bytes = static_cast<int64_t>(fs::file_size(path(name), ec));
                in.setstate(std::ios::eofbit);
            }
            while (in && desc.contains("sha256")) {
                in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                auto got = in.gcount();
                if (got <= 0) break;
                h.update(std::string_view(buf.data(), static_cast<size_t>(got)));
                bytes += got;
            }
            auto want = desc.value("sha256", "");
            if ((!want.empty() && chain::hex(h.finish()) != want) ||
                bytes != desc.value("bytes", int64_t{-1}))
                return bad(name +
                           ": differs from the signed manifest (altered, truncated or "
                           "extended)");
        }
    }
    rep.ok = true;
    rep.notes.push_back("chain: entries " + std::to_string(first) + "-" + std::to_string(last) +
                        " intact, " + std::to_string(total_readings) + " reading(s), " +
                        std::to_string(total_events) + " event(s)");
    rep.notes.push_back("head before: " + chain::hex(head_before));
    rep.notes.push_back("head after:  " + chain::hex(head_after));
    if (rolled_entries > 0)
        rep.notes.push_back(std::to_string(rolled_entries) + " batch(es), " +
                            std::to_string(rolled_readings) +
                            " reading(s), had been rolled up into minute averages on the gateway "
                            "before the export: their raw values are not in the bundle");
    return rep;
}

}  // namespace sealwatch::evidence
