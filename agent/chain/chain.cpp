#include "chain/chain.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

namespace sealwatch::chain {

namespace {

void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

bool needs_quotes(std::string_view s) {
    return s.find_first_of(",\"\r\n") != std::string_view::npos;
}

// Writes the 24 characters of RFC 3339 with milliseconds at p; the date and time of day are
// formatted once per second.
char* write_ts(char* p, WallMs t) {
    thread_local int64_t cached = INT64_MIN;
    thread_local char prefix[20];
    int64_t secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
    auto ms = static_cast<int>(t - secs * 1000);
    if (secs != cached) {
        auto full = format_rfc3339(secs * 1000);
        std::memcpy(prefix, full.data(), 19);
        cached = secs;
    }
    std::memcpy(p, prefix, 19);
    p[19] = '.';
    p[20] = static_cast<char>('0' + ms / 100);
    p[21] = static_cast<char>('0' + ms / 10 % 10);
    p[22] = static_cast<char>('0' + ms % 10);
    p[23] = 'Z';
    return p + 24;
}

void append_ts(std::string& out, WallMs t) {
    char buf[24];
    out.append(buf, write_ts(buf, t));
}

// Appends to a stack buffer, for the per-row paths that must not allocate.
struct BufferOut {
    char*& p;
    void operator+=(char c) { *p++ = c; }
    // std::copy and not memcpy: an empty view may hold a null pointer, which memcpy may not take.
    void operator+=(std::string_view s) { p = std::copy(s.begin(), s.end(), p); }
};

// The notes' form (chain.hpp), written once for the string and the buffer paths.
template <typename Out>
void put_notes(Out& out, const NoteCells& c) {
    bool first = true;
    auto note = [&](std::string_view key, std::string_view value) {
        out += first ? '|' : ';';
        first = false;
        out += key;
        out += value;
    };
    if (c.ct_ratio != "1") note("ct=", c.ct_ratio);
    if (c.pt_ratio != "1") note("pt=", c.pt_ratio);
    if (c.clock_unsynced == "1") note("clock_unsynced", "");
}

// A ratio as its cell: the shortest round-trip decimal, in `buf` (32 bytes); "1" without
// formatting for the common meter that has no transformer.
std::string_view ratio_cell(double ratio, char* buf) {
    if (ratio == 1) return "1";
    return {buf, static_cast<size_t>(std::to_chars(buf, buf + 32, ratio).ptr - buf)};
}

// The record's note cells; the views point into the two 32-byte buffers given.
NoteCells note_cells(const Record& r, char* ct_buf, char* pt_buf) {
    return {ratio_cell(r.ratios.ct, ct_buf), ratio_cell(r.ratios.pt, pt_buf),
            r.clock_unsynced ? "1" : "0"};
}

// The CSV's note columns of a row, each after a comma.
template <typename Out>
void put_note_cells(Out& out, const NoteCells& c) {
    out += ',';
    out += c.ct_ratio;
    out += ',';
    out += c.pt_ratio;
    out += ',';
    out += c.clock_unsynced;
}

}  // namespace

void append_notes(std::string& out, const NoteCells& cells) {
    put_notes(out, cells);
}

void append_record(std::string& out, const Record& r) {
    // The store's path at every flush: no CSV, no allocation beyond `out` growing.
    append_int(out, r.ts);
    out += '|';
    out += r.meter;
    out += '|';
    append_int(out, static_cast<int64_t>(r.serial.size()));
    out += ':';
    out += r.serial;
    out += '|';
    char buf[1024];  // 23 values of at most 28 characters each, three notes of at most 28
    char* p = buf;
    for (size_t q = 0; q < r.v.size(); ++q) {
        if (!std::isfinite(r.v[q])) continue;
        if (p != buf) *p++ = ';';
        p = std::to_chars(p, buf + sizeof buf, q).ptr;
        *p++ = '=';
        p = std::to_chars(p, buf + sizeof buf, r.v[q]).ptr;
    }
    char ct[32], pt[32];
    BufferOut notes{p};
    put_notes(notes, note_cells(r, ct, pt));
    *p++ = '\n';
    out.append(buf, p);
}

void append_record_and_csv(std::string& rec, std::string& csv, const Record& r) {
    // Built in stack buffers and appended once each: this runs 17 million times for a year.
    char rb[1024], cb[1024];
    char* rp = rb;
    char* cp = cb;
    auto put = [](char*& p, std::string_view s) { p = std::copy(s.begin(), s.end(), p); };
    if (r.meter.size() + r.serial.size() > 128) {  // not from a real meter: the slow path
        std::string rr, cc;
        append_int(rr, r.ts);
        rr += '|';
        rr += r.meter;
        rr += '|';
        append_int(rr, static_cast<int64_t>(r.serial.size()));
        rr += ':';
        rr += r.serial;
        rr += '|';
        append_ts(cc, r.ts);
        cc += ',';
        cc += r.meter;
        cc += ',';
        cc += '"';
        for (char c : r.serial) {
            if (c == '"') cc += '"';
            cc += c;
        }
        cc += '"';
        bool first = true;
        char buf[32];
        for (size_t q = 0; q < r.v.size(); ++q) {
            cc += ',';
            if (!std::isfinite(r.v[q])) continue;
            auto end = std::to_chars(buf, buf + sizeof buf, r.v[q]).ptr;
            cc.append(buf, end);
            if (!first) rr += ';';
            first = false;
            append_int(rr, static_cast<int64_t>(q));
            rr += '=';
            rr.append(buf, end);
        }
        char ct[32], pt[32];
        const NoteCells cells = note_cells(r, ct, pt);
        put_notes(rr, cells);
        put_note_cells(cc, cells);
        rec += rr + "\n";
        csv += cc + "\n";
        return;
    }
    rp = std::to_chars(rp, rb + sizeof rb, r.ts).ptr;
    *rp++ = '|';
    put(rp, r.meter);
    *rp++ = '|';
    rp = std::to_chars(rp, rb + sizeof rb, r.serial.size()).ptr;
    *rp++ = ':';
    put(rp, r.serial);
    *rp++ = '|';
    cp = write_ts(cp, r.ts);
    *cp++ = ',';
    put(cp, r.meter);
    *cp++ = ',';
    if (needs_quotes(r.serial)) {
        *cp++ = '"';
        for (char c : r.serial) {
            if (c == '"') *cp++ = '"';
            *cp++ = c;
        }
        *cp++ = '"';
    } else {
        put(cp, r.serial);
    }
    bool first = true;
    for (size_t q = 0; q < r.v.size(); ++q) {
        *cp++ = ',';
        if (!std::isfinite(r.v[q])) continue;
        char* start = cp;
        cp = std::to_chars(cp, cb + sizeof cb, r.v[q]).ptr;  // once for both forms
        if (!first) *rp++ = ';';
        first = false;
        rp = std::to_chars(rp, rb + sizeof rb, q).ptr;
        *rp++ = '=';
        std::memcpy(rp, start, static_cast<size_t>(cp - start));
        rp += cp - start;
    }
    char ct[32], pt[32];
    const NoteCells cells = note_cells(r, ct, pt);
    BufferOut rec_out{rp}, csv_out{cp};
    put_notes(rec_out, cells);
    put_note_cells(csv_out, cells);
    *rp++ = '\n';
    *cp++ = '\n';
    rec.append(rb, rp);
    csv.append(cb, cp);
}

std::string csv_header() {
    std::string h = "ts,meter,serial";
    for (auto q : kQuantities) {
        h += ',';
        h += q;
    }
    for (auto c : kNoteColumns) {
        h += ',';
        h += c;
    }
    return h + "\n";
}

void append_csv_row(std::string& out, const Record& r) {
    std::string rec;
    append_record_and_csv(rec, out, r);
}

Digest event_digest(std::string_view body) {
    Sha256 h;
    h.update(std::string_view("sealwatch/event/v1\n"));
    h.update(body);
    h.update(std::string_view("\n"));
    return h.finish();
}

Digest link(const Digest& prev, int64_t n, EntryKind kind, int64_t count, const Digest& digest) {
    std::string s = "sealwatch/chain/v1\n";
    s += hex(prev);
    s += '\n';
    append_int(s, n);
    s += '\n';
    append_int(s, static_cast<int64_t>(kind));
    s += '\n';
    append_int(s, count);
    s += '\n';
    s += hex(digest);
    s += '\n';
    return sha256(s);
}

std::string head_statement(std::string_view gateway, int64_t n, const Digest& head,
                           std::string_view ts) {
    std::string s = "sealwatch/chain-head/v1\n";
    s += gateway;
    s += '\n';
    append_int(s, n);
    s += '\n';
    s += hex(head);
    s += '\n';
    s += ts;
    s += '\n';
    return s;
}

}  // namespace sealwatch::chain
