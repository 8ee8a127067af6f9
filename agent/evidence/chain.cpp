#include "evidence/chain.hpp"

#include <charconv>
#include <climits>
#include <cstring>

namespace sealwatch::evidence {

namespace {

void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

bool needs_quotes(std::string_view s) {
    return s.find_first_of(",\"\r\n") != std::string_view::npos;
}

// RFC 3339 with milliseconds; the date and time of day are formatted once per second.
void append_ts(std::string& out, WallMs t) {
    thread_local int64_t cached = INT64_MIN;
    thread_local char prefix[20];
    int64_t secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
    auto ms = static_cast<int>(t - secs * 1000);
    if (secs != cached) {
        auto full = format_rfc3339(secs * 1000);
        std::memcpy(prefix, full.data(), 19);
        cached = secs;
    }
    out.append(prefix, 19);
    char tail[6] = {'.',
                    static_cast<char>('0' + ms / 100),
                    static_cast<char>('0' + ms / 10 % 10),
                    static_cast<char>('0' + ms % 10),
                    'Z',
                    0};
    out.append(tail, 5);
}

}  // namespace

void append_record(std::string& out, const Record& r) {
    std::string csv;
    append_record_and_csv(out, csv, r);
}

void append_record_and_csv(std::string& rec, std::string& csv, const Record& r) {
    append_int(rec, r.ts);
    rec += '|';
    rec += r.meter;
    rec += '|';
    append_int(rec, static_cast<int64_t>(r.serial.size()));
    rec += ':';
    rec += r.serial;
    rec += '|';
    append_ts(csv, r.ts);
    csv += ',';
    csv += r.meter;
    csv += ',';
    if (needs_quotes(r.serial)) {
        csv += '"';
        for (char c : r.serial) {
            if (c == '"') csv += '"';
            csv += c;
        }
        csv += '"';
    } else {
        csv += r.serial;
    }
    bool first = true;
    char buf[32];
    for (size_t q = 0; q < r.v.size(); ++q) {
        csv += ',';
        if (!std::isfinite(r.v[q])) continue;
        auto end = std::to_chars(buf, buf + sizeof buf, r.v[q]).ptr;  // once for both forms
        csv.append(buf, end);
        if (!first) rec += ';';
        first = false;
        append_int(rec, static_cast<int64_t>(q));
        rec += '=';
        rec.append(buf, end);
    }
    rec += '\n';
    csv += '\n';
}

std::string csv_header() {
    std::string h = "ts,meter,serial";
    for (auto q : kQuantities) {
        h += ',';
        h += q;
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

}  // namespace sealwatch::evidence
