#include "detect/replay.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <limits>
#include <memory>
#include <vector>

#include "chain/chain.hpp"
#include "common/physical_range.hpp"

namespace sealwatch::detect {

namespace {

// note: an export's note columns (chain::kNoteColumns), read past. Its values are primary
// already (the ratios say how they were derived, not something left to apply).
enum class Col : uint8_t { ts, meter, serial, quantity, note };

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string_view unquote(std::string_view s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
    return s;
}

// Plain decimals ("-123.45", the bulk of any export) parsed exactly: an integer mantissa of at
// most 15 digits and a power of ten up to 1e15 are both exact doubles, so one division is
// correctly rounded (Clinger's fast path) and the result equals std::from_chars'. Anything
// else (exponents, long mantissas) goes to std::from_chars.
constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

bool parse_number(const char* b, const char* e, double& out) {
    const char* p = b;
    bool neg = false;
    if (p < e && (*p == '-' || *p == '+')) neg = *p++ == '-';
    uint64_t mant = 0;
    int digits = 0, frac = 0;
    bool dot = false, any = false;
    for (; p < e; ++p) {
        char c = *p;
        if (c >= '0' && c <= '9') {
            mant = mant * 10 + static_cast<uint64_t>(c - '0');
            any = true;
            if (mant) ++digits;
            if (dot) ++frac;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (p == e && any && digits <= 15 && frac <= 15) {
        double v = static_cast<double>(mant) / kPow10[frac];
        out = neg ? -v : v;
        return true;
    }
    if (*b == '+') ++b;
    auto r = std::from_chars(b, e, out);
    if (r.ptr != e) return false;
    if (r.ec == std::errc::result_out_of_range) {
        // A number all the same ("1e999"): too large is out of any physical range, too small
        // is zero.
        const char* x = std::find_if(b, e, [](char c) { return c == 'e' || c == 'E'; });
        bool overflow = x + 1 < e && x[1] != '-';
        out = (*b == '-' ? -1.0 : 1.0) * (overflow ? std::numeric_limits<double>::max() : 0.0);
        return true;
    }
    return r.ec == std::errc();  // NaN and infinities parse: the caller tells them apart
}

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// A row read but not yet replayed: rows wait up to kReorderWindowMs for stragglers.
struct Pending {
    WallMs ts;
    int meter;
    size_t line;
    Sample sample;
    std::string serial;  // sample.serial points here when the row is replayed
};

// One pass over lines; no allocation per row on clean, ordered data.
class Replayer {
  public:
    Replayer(std::string_view name, Detector& det, const EventSink& sink, ReplayOptions opt)
        : name_(name), det_(det), sink_(sink), opt_(opt) {
        events_.reserve(16);
        for (int i = 0; i < det.meter_count(); ++i) names_.emplace_back(det.meter_id(i));
        meter_last_.assign(names_.size(), std::numeric_limits<WallMs>::min());
    }

    // false on error (message in error_)
    bool line(std::string_view text) {
        ++lineno_;
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (lineno_ == 1) return header(text);
        if (trim(text).empty()) return true;
        return row(text);
    }

    bool finish() {
        if (lineno_ == 0) return fail("empty file: no header row");
        release(std::numeric_limits<WallMs>::max());
        return true;
    }

    std::string error_;
    ReplayStats stats_;

  private:
    bool fail(std::string_view msg) {
        error_ = std::string(name_) + ":" + std::to_string(lineno_) + ": " + std::string(msg);
        return false;
    }

    // A row that cannot be replayed: the end (strict), or counted and skipped (true).
    bool skip(BadRow kind, std::string msg) {
        if (opt_.strict) return fail(msg);
        count_skip(kind, lineno_, std::move(msg));
        return true;
    }

    void count_skip(BadRow kind, size_t line, std::string msg) {
        auto& r = stats_.skipped_rows[static_cast<size_t>(kind)];
        if (r.count++ == 0) {
            r.first_line = line;
            r.first_problem = std::move(msg);
        }
    }

    std::string duplicate_message(WallMs ts, int meter) const {
        return "duplicate row: meter '" + names_[static_cast<size_t>(meter)] +
               "' already has a row at " + format_rfc3339(ts);
    }

    // A cell that cannot be a reading: the end (strict), or absent in this row (true).
    bool bad_cell(size_t col, BadCell kind, std::string_view cell) {
        const auto q = qs_[col];
        const std::string column(kQuantities[q]);
        if (opt_.strict) {
            if (kind == BadCell::out_of_range)
                return fail("value " + std::string(cell) + " in column '" + column +
                            "' is outside its physical range " +
                            number_text(kPhysicalRanges[q].min) + ".." +
                            number_text(kPhysicalRanges[q].max));
            return fail(std::string(kind == BadCell::not_finite ? "not a finite number '"
                                                                : "bad number '") +
                        std::string(cell) + "' in column '" + column + "'");
        }
        row_bad_cells_.emplace_back(q, kind);
        sample_.v[q] = std::nan("");
        return true;
    }

    bool header(std::string_view text) {
        if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) text.remove_prefix(3);
        bool have_ts = false, have_meter = false;
        size_t pos = 0;
        while (true) {
            size_t comma = text.find(',', pos);
            auto name = unquote(
                trim(text.substr(pos, comma == std::string_view::npos ? comma : comma - pos)));
            Col c = Col::quantity;
            uint8_t q = 0;
            if (name == "ts") {
                c = Col::ts;
                if (have_ts) return fail("column 'ts' appears twice");
                have_ts = true;
            } else if (name == "meter") {
                c = Col::meter;
                if (have_meter) return fail("column 'meter' appears twice");
                have_meter = true;
            } else if (name == "serial") {
                c = Col::serial;
            } else if (std::ranges::find(chain::kNoteColumns, name) != chain::kNoteColumns.end()) {
                c = Col::note;
            } else {
                bool found = false;
                for (size_t i = 0; i < kQuantities.size(); ++i)
                    if (kQuantities[i] == name) q = static_cast<uint8_t>(i), found = true;
                if (!found)
                    return fail("unknown column '" + std::string(name) +
                                "' (expected ts, meter, serial or a quantity such as p_w)");
                for (size_t i = 0; i < cols_.size(); ++i)
                    if (cols_[i] == Col::quantity && qs_[i] == q)
                        return fail("column '" + std::string(name) + "' appears twice");
            }
            cols_.push_back(c);
            qs_.push_back(q);
            if (comma == std::string_view::npos) break;
            pos = comma + 1;
        }
        if (!have_ts || !have_meter)
            return fail("the header must name the columns 'ts' and 'meter'");
        return true;
    }

    bool row(std::string_view text) {
        sample_.clear();
        row_bad_cells_.clear();
        WallMs ts = 0;
        int meter = -1;
        const char* p = text.data();
        const char* const end = p + text.size();
        auto cell_end = [&](const char* from) {
            while (from < end && *from != ',') ++from;
            return from;
        };
        const size_t n = cols_.size();
        for (size_t col = 0; col < n; ++col) {
            if (col) {
                if (p == end)
                    return skip(
                        BadRow::cell_count,
                        std::to_string(col) + " cells, the header has " + std::to_string(n));
                ++p;  // the comma
            }
            const char* start = p;
            switch (cols_[col]) {
                case Col::ts: {
                    p = cell_end(p);
                    std::string_view cell(start, static_cast<size_t>(p - start));
                    // Rows of one poll share a timestamp: parse it once.
                    if (ts_len_ && cell.size() == ts_len_ &&
                        std::memcmp(cell.data(), ts_text_, ts_len_) == 0) {
                        ts = ts_value_;
                        break;
                    }
                    auto t = parse_time(unquote(trim(cell)));
                    if (!t)
                        return skip(BadRow::bad_time, "bad time '" + std::string(cell) +
                                                          "' (RFC 3339 or Unix seconds)");
                    ts = *t;
                    if (cell.size() <= sizeof(ts_text_)) {
                        std::memcpy(ts_text_, cell.data(), cell.size());
                        ts_len_ = cell.size();
                        ts_value_ = ts;
                    }
                    break;
                }
                case Col::meter: {
                    p = cell_end(p);
                    auto id =
                        unquote(trim(std::string_view(start, static_cast<size_t>(p - start))));
                    // Exports list the meters in the same order at every poll: try the one
                    // after the last, then the last, before hashing.
                    auto next = static_cast<size_t>(last_meter_) + 1;
                    if (next < names_.size() && names_[next] == id) {
                        meter = static_cast<int>(next);
                    } else if (last_meter_ >= 0 && names_[static_cast<size_t>(last_meter_)] == id) {
                        meter = last_meter_;
                    } else {
                        meter = det_.meter_index(id);
                        if (meter < 0) {
                            if (id.empty()) return skip(BadRow::no_meter, "empty meter");
                            return skip(BadRow::unknown_meter,
                                        "meter '" + std::string(id) + "' is not in the config");
                        }
                    }
                    last_meter_ = meter;
                    break;
                }
                case Col::note:
                    p = cell_end(p);
                    break;
                case Col::serial:
                    p = cell_end(p);
                    sample_.serial =
                        unquote(trim(std::string_view(start, static_cast<size_t>(p - start))));
                    break;
                case Col::quantity: {
                    // Plain decimals in one pass (see parse_number); the rest the slow way.
                    const uint8_t q = qs_[col];
                    bool neg = false;
                    if (p < end && *p == '-') neg = true, ++p;
                    uint64_t mant = 0;
                    int digits = 0, frac = 0;
                    bool dot = false, any = false;
                    for (; p < end; ++p) {
                        char c = *p;
                        if (c >= '0' && c <= '9') {
                            mant = mant * 10 + static_cast<uint64_t>(c - '0');
                            any = true;
                            digits += mant != 0;
                            frac += dot;
                        } else if (c == '.' && !dot) {
                            dot = true;
                        } else {
                            break;
                        }
                    }
                    if (p == end || *p == ',') {
                        if (p == start) break;  // empty: no value
                        if (any && digits <= 15 && frac <= 15) {
                            double v = static_cast<double>(mant) / kPow10[frac];
                            if (neg) v = -v;
                            if (!within_physical_range(q, v)) {
                                if (!bad_cell(
                                        col, BadCell::out_of_range,
                                        std::string_view(start, static_cast<size_t>(p - start))))
                                    return false;
                                break;
                            }
                            sample_.v[q] = v;
                            break;
                        }
                    }
                    p = cell_end(p);
                    const char* b = start;
                    const char* e = p;
                    while (b < e && *b == ' ') ++b;
                    while (e > b && e[-1] == ' ') --e;
                    if (b == e) break;  // blank: no value
                    std::string_view cell(start, static_cast<size_t>(p - start));
                    double v = 0;
                    if (!parse_number(b, e, v)) {
                        if (!bad_cell(col, BadCell::not_a_number, cell)) return false;
                    } else if (!std::isfinite(v)) {
                        if (!bad_cell(col, BadCell::not_finite, cell)) return false;
                    } else if (!within_physical_range(q, v)) {
                        if (!bad_cell(col, BadCell::out_of_range, cell)) return false;
                    } else {
                        sample_.v[q] = v;
                    }
                    break;
                }
            }
        }
        if (p != end)
            return skip(BadRow::cell_count,
                        "more cells than the header's " + std::to_string(n) + " columns");
        if (meter < 0) return skip(BadRow::no_meter, "empty meter");
        return opt_.strict ? replay_now(ts, meter) : hold(ts, meter);
    }

    // Strict: rows go to the detector as they come, and must come in order.
    bool replay_now(WallMs ts, int meter) {
        if (ts < last_ts_)
            return fail("rows out of time order: " + format_rfc3339(ts) + " after " +
                        format_rfc3339(last_ts_));
        if (meter_last_[static_cast<size_t>(meter)] == ts)
            return fail(duplicate_message(ts, meter));
        last_ts_ = ts;
        feed(ts, meter, sample_);
        return true;
    }

    // Lenient: the row waits in time order until no straggler can come before it.
    bool hold(WallMs ts, int meter) {
        if (ts < released_ts_) {
            if (meter_last_[static_cast<size_t>(meter)] == ts)
                return skip(BadRow::duplicate, duplicate_message(ts, meter));
            return skip(BadRow::out_of_order, "row out of time order: " + format_rfc3339(ts) +
                                                  " after " + format_rfc3339(newest_ts_) +
                                                  " (more than " +
                                                  std::to_string(kReorderWindowMs / 1000) +
                                                  " s behind: sort the file by ts)");
        }
        commit_bad_cells();
        // Rows nearly always come in order: append; else insert after the last row not later.
        auto at = pending_.end();
        while (at != pending_.begin() && std::prev(at)->ts > ts) --at;
        Pending& slot = *pending_.insert(at, Pending{ts, meter, lineno_, sample_, {}});
        slot.serial.assign(sample_.serial);
        newest_ts_ = std::max(newest_ts_, ts);
        if (newest_ts_ - kReorderWindowMs > pending_.front().ts)
            release(newest_ts_ - kReorderWindowMs);
        return true;
    }

    // Replays the waiting rows older than `before`, in time order.
    void release(WallMs before) {
        while (!pending_.empty() && pending_.front().ts < before) {
            Pending& r = pending_.front();
            released_ts_ = r.ts;
            if (meter_last_[static_cast<size_t>(r.meter)] == r.ts) {
                count_skip(BadRow::duplicate, r.line, duplicate_message(r.ts, r.meter));
            } else {
                r.sample.serial = r.serial;
                feed(r.ts, r.meter, r.sample);
            }
            pending_.pop_front();
        }
    }

    void commit_bad_cells() {
        for (auto [q, kind] : row_bad_cells_) {
            auto& c = stats_.ignored_cells[q];
            if (c.total() == 0) c.first_line = lineno_;
            ++c.count[static_cast<size_t>(kind)];
        }
    }

    void feed(WallMs ts, int meter, const Sample& sample) {
        meter_last_[static_cast<size_t>(meter)] = ts;
        ++stats_.rows;
        events_.clear();
        det_.on_sample(meter, ts, sample, events_);
        for (const auto& e : events_) sink_(e);
        stats_.events += events_.size();
    }

    std::string_view name_;
    Detector& det_;
    const EventSink& sink_;
    const ReplayOptions opt_;
    size_t lineno_ = 0;
    std::vector<Col> cols_;
    std::vector<uint8_t> qs_;
    Sample sample_;
    std::vector<std::pair<uint8_t, BadCell>> row_bad_cells_;  // of the row being read
    std::vector<Event> events_;
    std::vector<std::string> names_;  // meter ids by index
    std::vector<WallMs> meter_last_;  // per meter: the time of its last replayed row
    std::deque<Pending> pending_;     // lenient: rows read, in time order, not yet replayed
    int last_meter_ = -1;
    char ts_text_[40] = {};
    size_t ts_len_ = 0;
    WallMs ts_value_ = 0;
    WallMs last_ts_ = std::numeric_limits<WallMs>::min();      // strict: the last row's time
    WallMs newest_ts_ = std::numeric_limits<WallMs>::min();    // lenient: newest row read
    WallMs released_ts_ = std::numeric_limits<WallMs>::min();  // lenient: last row replayed
};

}  // namespace

tl::expected<ReplayStats, std::string> replay_csv_text(std::string_view text, std::string_view name,
                                                       Detector& detector, const EventSink& sink,
                                                       ReplayOptions options) {
    Replayer r(name, detector, sink, options);
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        if (!r.line(text.substr(pos, nl - pos))) return tl::unexpected(r.error_);
        pos = nl + 1;
    }
    if (!r.finish()) return tl::unexpected(r.error_);
    return r.stats_;
}

tl::expected<ReplayStats, std::string> replay_csv(const std::string& path, Detector& detector,
                                                  const EventSink& sink, ReplayOptions options) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return tl::unexpected(path + ":0: cannot open the file: " + std::strerror(errno));
    Replayer r(path, detector, sink, options);
    constexpr size_t kChunk = 1 << 22;
    std::vector<char> buf(kChunk);
    size_t have = 0;  // bytes of an unfinished line at the start of buf
    while (true) {
        if (have == buf.size()) buf.resize(buf.size() * 2);  // a line longer than the buffer
        size_t got = std::fread(buf.data() + have, 1, buf.size() - have, f.get());
        size_t end = have + got;
        size_t pos = 0;
        while (true) {
            const void* hit = std::memchr(buf.data() + pos, '\n', end - pos);
            if (!hit) break;
            auto nl = static_cast<size_t>(static_cast<const char*>(hit) - buf.data());
            if (!r.line(std::string_view(buf.data() + pos, nl - pos)))
                return tl::unexpected(r.error_);
            pos = nl + 1;
        }
        if (got == 0) {
            if (pos < end && !r.line(std::string_view(buf.data() + pos, end - pos)))
                return tl::unexpected(r.error_);
            break;
        }
        std::memmove(buf.data(), buf.data() + pos, end - pos);
        have = end - pos;
    }
    if (std::ferror(f.get())) return tl::unexpected(path + ":0: read error");
    if (!r.finish()) return tl::unexpected(r.error_);
    return r.stats_;
}

bool ReplayStats::clean() const {
    for (const auto& c : ignored_cells)
        if (c.total()) return false;
    for (const auto& r : skipped_rows)
        if (r.count) return false;
    return true;
}

std::vector<std::string> describe_dirt(const ReplayStats& stats, std::string_view name) {
    std::vector<std::string> lines;
    auto plural = [](uint64_t n, const char* what) {
        return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };
    for (size_t q = 0; q < kQuantities.size(); ++q) {
        const auto& c = stats.ignored_cells[q];
        if (!c.total()) continue;
        std::string why;
        auto add = [&](BadCell kind, const std::string& text) {
            if (auto n = c.count[static_cast<size_t>(kind)]) {
                if (!why.empty()) why += ", ";
                why += std::to_string(n) + " " + text;
            }
        };
        add(BadCell::not_a_number, "not a number");
        add(BadCell::not_finite, "not finite (NaN, inf)");
        add(BadCell::out_of_range, "outside " + number_text(kPhysicalRanges[q].min) + ".." +
                                       number_text(kPhysicalRanges[q].max));
        lines.push_back(std::string(name) + ":" + std::to_string(c.first_line) + ": " +
                        plural(c.total(), "cell") + " of column '" + std::string(kQuantities[q]) +
                        "' ignored as absent (" + why + "); the first on this line");
    }
    for (size_t k = 0; k < kBadRowKinds; ++k) {
        const auto& r = stats.skipped_rows[k];
        if (!r.count) continue;
        const bool dup = static_cast<BadRow>(k) == BadRow::duplicate;
        lines.push_back(std::string(name) + ":" + std::to_string(r.first_line) + ": " +
                        plural(r.count, "row") + (dup ? " dropped" : " skipped") +
                        ", the first on this line: " + r.first_problem);
    }
    return lines;
}

}  // namespace sealwatch::detect
