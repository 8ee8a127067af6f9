// sealwatch export: streams the chain entries of a period out of the store into a bundle,
// re-hashing every entry on the way (a row that rotted on the flash card shows up here, and is
// reported, not hidden), then signs the manifest.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <tuple>

#include <unistd.h>

#include "chain/chain.hpp"
#include "evidence/bundle.hpp"
#include "evidence/report.hpp"
#include "wire/event.hpp"

namespace sealwatch::evidence {

namespace {

constexpr size_t kReportBuckets = 720;

// A file written through a buffer and hashed on the way.
class HashedFile {
  public:
    // hashed = false: only counted (readings.csv: every row is covered by the chain already,
    // and hashing 1.4 GB again would add seconds to a year's export on a gateway).
    Result<void> open(const std::string& path, bool hashed = true) {
        hashed_ = hashed;
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
        if (hashed_) sha_.update(buf_);
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
        if (!hashed_) return {{"bytes", bytes_}, {"covered_by", "chain"}};
        return {{"sha256", chain::hex(digest_)}, {"bytes", bytes_}};
    }

  private:
    std::string path_;
    std::FILE* f_ = nullptr;
    std::string buf_;
    chain::Sha256 sha_;
    int64_t bytes_ = 0;
    chain::Digest digest_{};
    bool hashed_ = true;
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
                                    const chain::SigningKey& key, const ExportOptions& opt) {
    namespace fs = std::filesystem;
    if (opt.to <= opt.from) return fail("the period is empty: --to must be after --from");
    const config::Asset* asset = nullptr;
    if (opt.asset) {
        for (const auto& a : cfg.assets)
            if (a.id == *opt.asset) asset = &a;
        if (!asset) return fail("asset '" + *opt.asset + "' is not in the config");
    }
    // The entries that touch the period, and everything between them (the chain has no holes).
    auto span = store.chain_span(opt.from, opt.to);
    if (!span) return tl::unexpected(span.error());
    if (!*span)
        return fail("no records between " + format_rfc3339(opt.from) + " and " +
                    format_rfc3339(opt.to) + " in the chain");
    const int64_t first_n = (*span)->first_n, last_n = (*span)->last_n;
    const chain::Digest head_before = (*span)->head_before;
    auto reader = store.read_chain(**span);
    if (!reader) return fail("cannot read the chain: " + reader.error().message);

    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    if (ec) return fail(opt.out_dir + ": " + ec.message());
    if (fs::exists(fs::path(opt.out_dir) / "manifest.json"))
        return fail(opt.out_dir + " already holds a bundle; choose an empty folder");
    if (asset) fs::create_directories(fs::path(opt.out_dir) / "context", ec);

    HashedFile readings, events, chain, ctx_readings, ctx_events;
    auto out = [&](const char* name) { return (fs::path(opt.out_dir) / name).string(); };
    if (auto r = readings.open(out("readings.csv"), false); !r) return tl::unexpected(r.error());
    for (auto [f, name] : {std::pair{&events, "events.jsonl"}, {&chain, "chain.csv"}})
        if (auto r = f->open(out(name)); !r) return tl::unexpected(r.error());
    if (asset) {
        if (auto r = ctx_readings.open(out("context/readings.csv"), false); !r)
            return tl::unexpected(r.error());
        if (auto r = ctx_events.open(out("context/events.jsonl")); !r)
            return tl::unexpected(r.error());
        ctx_readings.buffer() += chain::csv_header();
    }
    readings.buffer() += chain::csv_header();
    chain.buffer() += "n,kind,count,rows,context_rows,ts_min,ts_max,state,digest,head\n";

    std::set<std::string> asset_meters;
    if (asset) asset_meters.insert(asset->meters.begin(), asset->meters.end());
    auto in_asset_event = [&](const Event& e) {
        return !asset || e.asset == asset->id || asset_meters.contains(e.meter);
    };

    ReportData rep;
    rep.from = opt.from;
    rep.to = opt.to;
    rep.buckets = kReportBuckets;
    constexpr size_t q_p = quantity_index("p_w");
    constexpr size_t q_imp = quantity_index("e_imp_kwh");
    bool zone_ok = true;
    rep.zone = detect::TimeZone::load(cfg.gateway.timezone, &zone_ok);
    rep.zone_name = zone_ok ? cfg.gateway.timezone : "UTC";
    std::map<std::string, PowerSeries*> series;  // only meters of some asset
    for (const auto& a : cfg.assets) {
        if (asset && a.id != asset->id) continue;
        for (const auto& m : a.meters)
            series[m] = &rep.meters.try_emplace(m, kReportBuckets).first->second;
    }
    const double bucket_ms = static_cast<double>(opt.to - opt.from) / kReportBuckets;

    ExportSummary sum;
    sum.first_n = first_n;
    sum.last_n = last_n;
    // By the reader's meter index, so the row loop does no lookup by name.
    const auto& meter_names = reader->meter_names();
    std::vector<char> meter_main(meter_names.size(), 0);  // the meter is the exported asset's
    std::vector<PowerSeries*> meter_series(meter_names.size(), nullptr);
    for (size_t mk = 0; mk < meter_names.size(); ++mk) {
        meter_main[mk] = static_cast<char>(!asset || asset_meters.contains(meter_names[mk]));
        auto it = series.find(meter_names[mk]);
        meter_series[mk] = it != series.end() ? it->second : nullptr;
    }

    struct Add {
        PowerSeries* series;
        size_t bucket;
        double w;
    };
    std::vector<Add> adds;
    std::vector<Add> registers;                                 // w: the import register, kWh
    std::set<std::tuple<size_t, double, double>> batch_ratios;  // (meter, ct, pt) not 1
    std::string bmain, bctx;
    chain::Sha256 batch_digest;
    std::string line, chain_line;
    chain::Digest head = head_before;
    store::ChainRow row;
    while (true) {
        auto e = reader->next_entry();
        if (!e) return tl::unexpected(e.error());
        if (!*e) break;
        const store::ChainEntry& ce = **e;
        ++sum.entries;
        int64_t main_rows = 0, ctx_rows = 0;
        std::string state = "ok";
        if (ce.kind == chain::EntryKind::readings) {
            // Rows go to per-batch buffers first: a batch retention has cut into is left out.
            bmain.clear();
            bctx.clear();
            adds.clear();
            registers.clear();
            batch_ratios.clear();
            int64_t seen = 0, batch_unsynced = 0;
            chain::Sha256& d = batch_digest;
            line.assign(chain::kReadingsDomain);  // the batch's record lines, hashed in one go
            while (true) {
                auto more = reader->next_reading(row);
                if (!more) return tl::unexpected(more.error());
                if (!*more) break;
                ++seen;
                const size_t mk = row.meter;
                const chain::Record& rec = row.record;
                bool main = mk < meter_main.size() ? meter_main[mk] != 0 : !asset;
                chain::append_record_and_csv(line, main ? bmain : bctx, rec);
                (main ? main_rows : ctx_rows)++;
                if (main && rec.clock_unsynced) ++batch_unsynced;
                if (main && rec.ratios != InstrumentRatios{})
                    batch_ratios.emplace(mk, rec.ratios.ct, rec.ratios.pt);
                if (mk < meter_series.size() && meter_series[mk] && rec.ts >= opt.from &&
                    rec.ts < opt.to) {
                    auto b = std::min(
                        static_cast<size_t>(static_cast<double>(rec.ts - opt.from) / bucket_ms),
                        kReportBuckets - 1);
                    if (std::isfinite(rec.v[q_p]))
                        adds.push_back({meter_series[mk], b, rec.v[q_p]});
                    if (std::isfinite(rec.v[q_imp]))
                        registers.push_back({meter_series[mk], b, rec.v[q_imp]});
                }
            }
            d.update(line);
            auto digest = d.finish();
            if (seen != ce.count) {
                // Rolled up by retention (all or part): the digest stands in for the rows.
                state = "rolled_up";
                main_rows = ctx_rows = 0;
                ++sum.rolled_up_entries;
                sum.rolled_up_readings += ce.count;
            } else {
                if (digest != ce.digest) {
                    state = "corrupt";
                    ++sum.corrupt_entries;
                }
                readings.buffer() += bmain;
                if (asset) ctx_readings.buffer() += bctx;
                for (const auto& a : adds) a.series->add(a.bucket, a.w);
                for (const auto& r : registers) r.series->add_register(r.bucket, r.w);
                rep.clock_unsynced_readings += batch_unsynced;
                for (const auto& [mk, ct, pt] : batch_ratios)
                    rep.ratios[meter_names[mk]].emplace(ct, pt);
                sum.readings += main_rows;
                sum.context_readings += ctx_rows;
                if (auto r = readings.maybe_flush(); !r) return tl::unexpected(r.error());
                if (asset)
                    if (auto r = ctx_readings.maybe_flush(); !r) return tl::unexpected(r.error());
            }
        } else {
            auto stored = reader->event_body();
            if (!stored) return tl::unexpected(stored.error());
            if (!*stored)
                return fail("event " + std::to_string(ce.first_id) + " of chain entry " +
                            std::to_string(ce.n) + " is missing from the store");
            const std::string& body = **stored;
            if (chain::event_digest(body) != ce.digest) {
                state = "corrupt";
                ++sum.corrupt_entries;
            }
            auto j = nlohmann::ordered_json::parse(body, nullptr, false);
            auto ev = wire::event_from_json(j);  // unreadable: listed in the main file
            bool main = !ev || in_asset_event(*ev);
            auto& f = main ? events : ctx_events;
            f.buffer() += body;
            f.buffer() += '\n';
            (main ? main_rows : ctx_rows)++;
            (main ? sum.events : sum.context_events)++;
            if (ev) rep.events.push_back(std::move(*ev));
        }
        head = chain::link(head, ce.n, ce.kind, ce.count, ce.digest);
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
                      (state == "rolled_up" ? chain::hex(ce.digest) : std::string()) + ',' +
                      chain::hex(ce.head) + '\n';
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
    sum.fingerprint = chain::fingerprint(key.public_key());

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
    rep.head_before = chain::hex(head_before);
    rep.head_after = chain::hex(head);
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
    if (tip && *tip) tip_json = {{"n", (*tip)->n}, {"head", chain::hex((*tip)->head)}};
    m["chain"] = {{"first", first_n},
                  {"last", last_n},
                  {"head_before", chain::hex(head_before)},
                  {"head_after", chain::hex(head)},
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
    m["public_key"] = chain::base64(key.public_key());
    m["fingerprint"] = sum.fingerprint;
    auto sig = key.sign(m.dump());
    if (!sig) return tl::unexpected(sig.error());
    m["signature"] = chain::base64(*sig);
    HashedFile manifest;
    if (auto r = manifest.open(out("manifest.json")); !r) return tl::unexpected(r.error());
    manifest.buffer() = m.dump(2) + "\n";
    if (auto r = manifest.close(); !r) return tl::unexpected(r.error());
    return sum;
}

}  // namespace sealwatch::evidence
