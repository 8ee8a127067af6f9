// sealwatch export: streams the chain entries of a period out of the store into a bundle,
// re-hashing every entry on the way (a row that rotted on the flash card shows up here, and is
// reported, not hidden), then signs the manifest.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "evidence/bundle.hpp"
#include "evidence/chain.hpp"
#include "evidence/report.hpp"

namespace sealwatch::evidence {

namespace {

constexpr size_t kReportBuckets = 720;

// A file written through a buffer and hashed on the way.
class HashedFile {
  public:
    Result<void> open(const std::string& path) {
        path_ = path;
        f_ = std::fopen(path.c_str(), "wb");
        if (!f_) return fail(path + ": " + std::strerror(errno));
        buf_.reserve(1 << 20);
        return {};
    }
    ~HashedFile() {
        if (f_) std::fclose(f_);
    }
    std::string& buffer() { return buf_; }
    Result<void> maybe_flush() { return buf_.size() >= (1 << 20) ? flush() : Result<void>(); }
    Result<void> flush() {
        sha_.update(buf_);
        bytes_ += static_cast<int64_t>(buf_.size());
        if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
            return fail(path_ + ": " + std::strerror(errno));
        buf_.clear();
        return {};
    }
    Result<void> close() {
        if (auto r = flush(); !r) return r;
        bool ok = std::fflush(f_) == 0 && ::fsync(fileno(f_)) == 0;
        ok = std::fclose(f_) == 0 && ok;
        f_ = nullptr;
        if (!ok) return fail(path_ + ": " + std::strerror(errno));
        digest_ = sha_.finish();
        return {};
    }
    nlohmann::ordered_json describe() const {
        return {{"sha256", hex(digest_)}, {"bytes", bytes_}};
    }

  private:
    std::string path_;
    std::FILE* f_ = nullptr;
    std::string buf_;
    Sha256 sha_;
    int64_t bytes_ = 0;
    Digest digest_{};
};

Digest digest_of(std::span<const uint8_t> blob) {
    Digest d{};
    if (blob.size() == d.size()) std::copy(blob.begin(), blob.end(), d.begin());
    return d;
}

struct Row {
    int64_t id;
    std::string meter, serial;
    WallMs ts;
    std::vector<uint8_t> vals;
};

}  // namespace

std::string manifest_signed_bytes(const std::string& text, std::string* signature_b64,
                                  std::string* error) {
    auto j = nlohmann::ordered_json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        if (error) *error = "manifest.json is not a JSON object";
        return {};
    }
    if (signature_b64) {
        auto it = j.find("signature");
        *signature_b64 = it != j.end() && it->is_string() ? it->get<std::string>() : "";
    }
    j.erase("signature");
    return j.dump();
}

Result<ExportSummary> export_bundle(store::Store& store, const config::Config& cfg,
                                    const SigningKey& key, const ExportOptions& opt) {
    namespace fs = std::filesystem;
    if (opt.to <= opt.from) return fail("the period is empty: --to must be after --from");
    const config::Asset* asset = nullptr;
    if (opt.asset) {
        for (const auto& a : cfg.assets)
            if (a.id == *opt.asset) asset = &a;
        if (!asset) return fail("asset '" + *opt.asset + "' is not in the config");
    }
    auto& db = store.db();

    // The entries that touch the period, and everything between them (the chain has no holes).
    auto range = db.prepare("SELECT min(n), max(n) FROM chain WHERE ts_min < ? AND ts_max >= ?");
    if (!range) return tl::unexpected(range.error());
    range->bind(1, static_cast<int64_t>(opt.to)).bind(2, static_cast<int64_t>(opt.from));
    if (auto r = range->step(); !r) return tl::unexpected(r.error());
    if (range->is_null(0))
        return fail("no records between " + format_rfc3339(opt.from) + " and " +
                    format_rfc3339(opt.to) + " in the chain");
    const int64_t first_n = range->int64(0), last_n = range->int64(1);

    Digest head_before = kGenesis;
    if (first_n > 1) {
        auto h = db.prepare("SELECT head FROM chain WHERE n = ?");
        if (!h) return tl::unexpected(h.error());
        h->bind(1, first_n - 1);
        auto r = h->step();
        if (!r) return tl::unexpected(r.error());
        if (!*r) return fail("chain entry " + std::to_string(first_n - 1) + " is missing");
        head_before = digest_of(h->blob(0));
    }
    auto ids = db.prepare(
        "SELECT coalesce(min(first_id), 0), coalesce(max(last_id), -1) FROM chain "
        "WHERE n BETWEEN ? AND ? AND kind = ?");
    if (!ids) return tl::unexpected(ids.error());
    auto id_range = [&](EntryKind k) -> Result<std::pair<int64_t, int64_t>> {
        ids->reset();
        ids->bind(1, first_n).bind(2, last_n).bind(3, static_cast<int64_t>(k));
        if (auto r = ids->step(); !r) return tl::unexpected(r.error());
        return std::pair{ids->int64(0), ids->int64(1)};
    };
    auto rid = id_range(EntryKind::readings);
    auto eid = id_range(EntryKind::event);
    if (!rid || !eid) return fail("cannot read the chain: " + db.message());

    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) return fail(opt.out_dir + ": " + ec.message());
    if (fs::exists(fs::path(opt.out_dir) / "manifest.json"))
        return fail(opt.out_dir + " already holds a bundle; choose an empty folder");
    if (asset) fs::create_directories(fs::path(opt.out_dir) / "context", ec);

    HashedFile readings, events, chain, ctx_readings, ctx_events;
    auto out = [&](const char* name) { return (fs::path(opt.out_dir) / name).string(); };
    for (auto [f, name] :
         {std::pair{&readings, "readings.csv"}, {&events, "events.jsonl"}, {&chain, "chain.csv"}})
        if (auto r = f->open(out(name)); !r) return tl::unexpected(r.error());
    if (asset) {
        if (auto r = ctx_readings.open(out("context/readings.csv")); !r)
            return tl::unexpected(r.error());
        if (auto r = ctx_events.open(out("context/events.jsonl")); !r)
            return tl::unexpected(r.error());
        ctx_readings.buffer() += csv_header();
    }
    readings.buffer() += csv_header();
    chain.buffer() += "n,kind,count,rows,context_rows,ts_min,ts_max,state,digest,head\n";

    std::set<std::string> asset_meters;
    if (asset) asset_meters.insert(asset->meters.begin(), asset->meters.end());
    auto in_asset_event = [&](const detect::Event& e) {
        return !asset || e.asset == asset->id || asset_meters.count(e.meter) > 0;
    };

    ReportData rep;
    rep.from = opt.from;
    rep.to = opt.to;
    rep.buckets = kReportBuckets;
    static const size_t q_p = [] {
        for (size_t i = 0; i < kQuantities.size(); ++i)
            if (kQuantities[i] == "p_w") return i;
        return size_t{0};
    }();
    std::map<std::string, PowerSeries*> series;  // only meters of some asset
    for (const auto& a : cfg.assets) {
        if (asset && a.id != asset->id) continue;
        for (const auto& m : a.meters)
            series[m] = &rep.meters.try_emplace(m, kReportBuckets).first->second;
    }
    const double bucket_ms = static_cast<double>(opt.to - opt.from) / kReportBuckets;

    auto entries = db.prepare(
        "SELECT n, kind, first_id, last_id, count, ts_min, ts_max, digest, head FROM chain "
        "WHERE n BETWEEN ? AND ? ORDER BY n");
    auto rows = db.prepare(
        "SELECT r.id, m.name, r.ts_ms, r.vals, r.serial FROM readings r "
        "JOIN meters m ON m.id = r.meter WHERE r.id BETWEEN ? AND ? ORDER BY r.id");
    auto evs = db.prepare("SELECT id, body FROM events WHERE id BETWEEN ? AND ? ORDER BY id");
    if (!entries || !rows || !evs) return fail("cannot read the store: " + db.message());
    entries->bind(1, first_n).bind(2, last_n);
    rows->bind(1, rid->first).bind(2, rid->second);
    evs->bind(1, eid->first).bind(2, eid->second);

    ExportSummary sum;
    sum.first_n = first_n;
    sum.last_n = last_n;
    bool row_pending = false, rows_done = false;
    Row row;
    auto next_row = [&]() -> Result<bool> {
        if (row_pending) return true;
        if (rows_done) return false;
        auto r = rows->step();
        if (!r) return tl::unexpected(r.error());
        if (!*r) {
            rows_done = true;
            return false;
        }
        row.id = rows->int64(0);
        row.meter = rows->text(1);
        row.ts = rows->int64(2);
        auto b = rows->blob(3);
        row.vals.assign(b.begin(), b.end());
        row.serial = rows->is_null(4) ? std::string() : rows->text(4);
        row_pending = true;
        return true;
    };

    std::vector<Row> batch;
    std::string line, chain_line;
    Digest head = head_before;
    while (true) {
        auto e = entries->step();
        if (!e) return tl::unexpected(e.error());
        if (!*e) break;
        store::ChainEntry ce;
        ce.n = entries->int64(0);
        ce.kind = static_cast<EntryKind>(entries->int64(1));
        ce.first_id = entries->int64(2);
        ce.last_id = entries->int64(3);
        ce.count = entries->int64(4);
        ce.ts_min = entries->int64(5);
        ce.ts_max = entries->int64(6);
        ce.digest = digest_of(entries->blob(7));
        ce.head = digest_of(entries->blob(8));
        ++sum.entries;
        int64_t main_rows = 0, ctx_rows = 0;
        std::string state = "ok";
        if (ce.kind == EntryKind::readings) {
            batch.clear();
            while (true) {
                auto more = next_row();
                if (!more) return tl::unexpected(more.error());
                if (!*more || row.id > ce.last_id) break;
                if (row.id >= ce.first_id) batch.push_back(std::move(row));
                row_pending = false;
            }
            if (static_cast<int64_t>(batch.size()) != ce.count) {
                // Rolled up by retention (all or part): the digest stands in for the rows.
                state = "rolled_up";
                ++sum.rolled_up_entries;
                sum.rolled_up_readings += ce.count;
            } else {
                Sha256 d;
                d.update(kReadingsDomain);
                for (const auto& r : batch) {
                    Record rec;
                    rec.ts = r.ts;
                    rec.meter = r.meter;
                    rec.serial = r.serial;
                    for (const auto& v : store::unpack_values(r.vals)) rec.v[v.quantity] = v.value;
                    line.clear();
                    append_record(line, rec);
                    d.update(line);
                    bool main = !asset || asset_meters.count(r.meter) > 0;
                    auto& f = main ? readings : ctx_readings;
                    append_csv_row(f.buffer(), rec);
                    (main ? main_rows : ctx_rows)++;
                    if (auto it = series.find(r.meter); it != series.end() &&
                                                        std::isfinite(rec.v[q_p]) &&
                                                        r.ts >= opt.from && r.ts < opt.to) {
                        auto b =
                            static_cast<size_t>(static_cast<double>(r.ts - opt.from) / bucket_ms);
                        it->second->add(std::min(b, kReportBuckets - 1), rec.v[q_p]);
                    }
                }
                if (d.finish() != ce.digest) {
                    state = "corrupt";
                    ++sum.corrupt_entries;
                }
                sum.readings += main_rows;
                sum.context_readings += ctx_rows;
                if (auto r = readings.maybe_flush(); !r) return tl::unexpected(r.error());
                if (asset)
                    if (auto r = ctx_readings.maybe_flush(); !r) return tl::unexpected(r.error());
            }
        } else {
            bool found = false;
            while (true) {
                auto r = evs->step();
                if (!r) return tl::unexpected(r.error());
                if (!*r) break;
                if (evs->int64(0) < ce.first_id) continue;
                if (evs->int64(0) > ce.first_id)
                    return fail("event " + std::to_string(ce.first_id) + " of chain entry " +
                                std::to_string(ce.n) + " is missing from the store");
                found = true;
                std::string body = evs->text(1);
                if (event_digest(body) != ce.digest) {
                    state = "corrupt";
                    ++sum.corrupt_entries;
                }
                auto j = nlohmann::ordered_json::parse(body, nullptr, false);
                auto ev = j.is_discarded() ? std::nullopt : detect::event_from_json(j);
                bool main = !ev || in_asset_event(*ev);
                auto& f = main ? events : ctx_events;
                f.buffer() += body;
                f.buffer() += '\n';
                (main ? main_rows : ctx_rows)++;
                (main ? sum.events : sum.context_events)++;
                if (ev) rep.events.push_back(std::move(*ev));
                break;
            }
            if (!found)
                return fail("event " + std::to_string(ce.first_id) + " of chain entry " +
                            std::to_string(ce.n) + " is missing from the store");
        }
        head = link(head, ce.n, ce.kind, ce.count, ce.digest);
        if (head != ce.head) {
            // The stored head disagrees with its own predecessor: the store was edited.
            state = "corrupt";
            ++sum.corrupt_entries;
        }
        chain_line.clear();
        chain_line += std::to_string(ce.n) + ',' + std::to_string(static_cast<int>(ce.kind)) + ',' +
                      std::to_string(ce.count) + ',' + std::to_string(main_rows) + ',' +
                      std::to_string(ctx_rows) + ',' + std::to_string(ce.ts_min) + ',' +
                      std::to_string(ce.ts_max) + ',' + state + ',' +
                      (state == "rolled_up" ? hex(ce.digest) : std::string()) + ',' + hex(ce.head) +
                      '\n';
        chain.buffer() += chain_line;
        if (auto r = chain.maybe_flush(); !r) return tl::unexpected(r.error());
    }
    for (auto* f : {&readings, &events, &chain})
        if (auto r = f->close(); !r) return tl::unexpected(r.error());
    if (asset)
        for (auto* f : {&ctx_readings, &ctx_events})
            if (auto r = f->close(); !r) return tl::unexpected(r.error());

    auto tip = store.chain_tip();
    const WallMs now = wall_now_ms();
    sum.fingerprint = fingerprint(key.public_key());

    for (const auto& a : cfg.assets) rep.states[a.id] = std::string(config::to_string(a.state));
    if (auto states = store.asset_states())
        for (const auto& r : *states) rep.states[r.asset] = r.state;
    rep.gateway = cfg.gateway.id;
    rep.site = cfg.gateway.site;
    rep.software = std::string("sealwatch ") + SEALWATCH_VERSION;
    rep.created = now;
    rep.asset = opt.asset;
    rep.entries = sum.entries;
    rep.first_n = first_n;
    rep.last_n = last_n;
    rep.readings = sum.readings + sum.context_readings;
    rep.event_count = sum.events + sum.context_events;
    rep.rolled_up_entries = sum.rolled_up_entries;
    rep.rolled_up_readings = sum.rolled_up_readings;
    rep.corrupt_entries = sum.corrupt_entries;
    rep.head_before = hex(head_before);
    rep.head_after = hex(head);
    rep.fingerprint = sum.fingerprint;
    HashedFile report;
    if (auto r = report.open(out("report.html")); !r) return tl::unexpected(r.error());
    report.buffer() = render_report(rep, cfg);
    if (auto r = report.close(); !r) return tl::unexpected(r.error());

    nlohmann::ordered_json m;
    m["format"] = kBundleFormat;
    m["gateway"] = {{"id", cfg.gateway.id}, {"site", cfg.gateway.site}};
    m["period"] = {{"from", format_rfc3339(opt.from)}, {"to", format_rfc3339(opt.to)}};
    m["asset"] = opt.asset ? nlohmann::ordered_json(*opt.asset) : nlohmann::ordered_json();
    if (asset) m["asset_meters"] = asset->meters;
    m["created"] = format_rfc3339(now);
    m["software"] = rep.software;
    m["counts"] = {{"entries", sum.entries},
                   {"readings", sum.readings},
                   {"events", sum.events},
                   {"context_readings", sum.context_readings},
                   {"context_events", sum.context_events},
                   {"rolled_up_entries", sum.rolled_up_entries},
                   {"rolled_up_readings", sum.rolled_up_readings},
                   {"corrupt_entries", sum.corrupt_entries}};
    nlohmann::ordered_json tip_json;
    if (tip && *tip) tip_json = {{"n", (*tip)->n}, {"head", hex((*tip)->head)}};
    m["chain"] = {{"first", first_n},
                  {"last", last_n},
                  {"head_before", hex(head_before)},
                  {"head_after", hex(head)},
                  {"tip", tip_json}};
    nlohmann::ordered_json files;
    files["readings.csv"] = readings.describe();
    files["events.jsonl"] = events.describe();
    files["chain.csv"] = chain.describe();
    if (asset) {
        files["context/readings.csv"] = ctx_readings.describe();
        files["context/events.jsonl"] = ctx_events.describe();
    }
    files["report.html"] = report.describe();
    m["files"] = files;
    m["public_key"] = base64(key.public_key());
    m["fingerprint"] = sum.fingerprint;
    auto sig = key.sign(m.dump());
    if (!sig) return tl::unexpected(sig.error());
    m["signature"] = base64(*sig);
    HashedFile manifest;
    if (auto r = manifest.open(out("manifest.json")); !r) return tl::unexpected(r.error());
    manifest.buffer() = m.dump(2) + "\n";
    if (auto r = manifest.close(); !r) return tl::unexpected(r.error());
    return sum;
}

}  // namespace sealwatch::evidence
