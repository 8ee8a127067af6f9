#include "evidence/chain.hpp"

#include <charconv>

namespace sealwatch::evidence {

namespace {

void append_number(std::string& out, double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

bool needs_quotes(std::string_view s) {
    return s.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

void append_record(std::string& out, const Record& r) {
    append_int(out, r.ts);
    out += '|';
    out += r.meter;
    out += '|';
    out += r.serial;
    out += '|';
    bool first = true;
    for (size_t q = 0; q < r.v.size(); ++q) {
        if (!std::isfinite(r.v[q])) continue;
        if (!first) out += ';';
        first = false;
        append_int(out, static_cast<int64_t>(q));
        out += '=';
        append_number(out, r.v[q]);
    }
    out += '\n';
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
    out += format_rfc3339(r.ts);
    out += ',';
    out += r.meter;
    out += ',';
    if (needs_quotes(r.serial)) {
        out += '"';
        for (char c : r.serial) {
            if (c == '"') out += '"';
            out += c;
        }
        out += '"';
    } else {
        out += r.serial;
    }
    for (double v : r.v) {
        out += ',';
        if (std::isfinite(v)) append_number(out, v);
    }
    out += '\n';
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
