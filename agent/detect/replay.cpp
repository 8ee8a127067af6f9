#include "detect/replay.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace sealwatch::detect {

namespace {

enum class Col : uint8_t { ts, meter, serial, quantity };

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
    return r.ec == std::errc() && r.ptr == e && std::isfinite(out);
}

// One pass over lines; no allocation per row.
class Replayer {
  public:
    Replayer(std::string_view name, Detector& det, const EventSink& sink)
        : name_(name), det_(det), sink_(sink) {
        events_.reserve(16);
        for (int i = 0; i < det.meter_count(); ++i) names_.emplace_back(det.meter_id(i));
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
        return true;
    }

    std::string error_;
    ReplayStats stats_;

  private:
    bool fail(std::string_view msg) {
        error_ = std::string(name_) + ":" + std::to_string(lineno_) + ": " + std::string(msg);
        return false;
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
                    return fail(std::to_string(col) + " cells, the header has " +
                                std::to_string(n));
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
                        return fail("bad time '" + std::string(cell) +
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
                    auto next = static_cast<size_t>(last_meter_ + 1);
                    if (next < names_.size() && names_[next] == id) {
                        meter = static_cast<int>(next);
                    } else if (last_meter_ >= 0 && names_[static_cast<size_t>(last_meter_)] == id) {
                        meter = last_meter_;
                    } else {
                        meter = det_.meter_index(id);
                        if (meter < 0)
                            return fail("meter '" + std::string(id) + "' is not in the config");
                    }
                    last_meter_ = meter;
                    break;
                }
                case Col::serial:
                    p = cell_end(p);
                    sample_.serial =
                        unquote(trim(std::string_view(start, static_cast<size_t>(p - start))));
                    break;
                case Col::quantity: {
                    // Plain decimals in one pass (see parse_number); the rest the slow way.
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
                            sample_.v[qs_[col]] = neg ? -v : v;
                            break;
                        }
                    }
                    p = cell_end(p);
                    const char* b = start;
                    const char* e = p;
                    while (b < e && *b == ' ') ++b;
                    while (e > b && e[-1] == ' ') --e;
                    if (b == e) break;  // blank: no value
                    double v = 0;
                    if (!parse_number(b, e, v))
                        return fail("bad number '" +
                                    std::string(start, static_cast<size_t>(p - start)) +
                                    "' in column '" + std::string(kQuantities[qs_[col]]) + "'");
                    sample_.v[qs_[col]] = v;
                    break;
                }
            }
        }
        if (p != end) return fail("more cells than the header's " + std::to_string(n) + " columns");
        if (meter < 0) return fail("empty meter");
        if (ts < last_ts_)
            return fail("rows out of time order: " + format_rfc3339(ts) + " after " +
                        format_rfc3339(last_ts_));
        last_ts_ = ts;
        ++stats_.rows;
        events_.clear();
        det_.on_sample(meter, ts, sample_, events_);
        for (const auto& e : events_) sink_(e);
        stats_.events += events_.size();
        return true;
    }

    std::string_view name_;
    Detector& det_;
    const EventSink& sink_;
    size_t lineno_ = 0;
    std::vector<Col> cols_;
    std::vector<uint8_t> qs_;
    Sample sample_;
    std::vector<Event> events_;
    std::vector<std::string> names_;  // meter ids by index
    int last_meter_ = -1;
    char ts_text_[40] = {};
    size_t ts_len_ = 0;
    WallMs ts_value_ = 0;
    WallMs last_ts_ = std::numeric_limits<WallMs>::min();
};

}  // namespace

tl::expected<ReplayStats, std::string> replay_csv_text(std::string_view text, std::string_view name,
                                                       Detector& detector, const EventSink& sink) {
    Replayer r(name, detector, sink);
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
                                                  const EventSink& sink) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return tl::unexpected(path + ":0: cannot open the file: " + std::strerror(errno));
    Replayer r(path, detector, sink);
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
            size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - buf.data());
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

}  // namespace sealwatch::detect
