// The evidence trail: hashing and signatures, the chain as the store writes it, bundles
// exported and verified (and tampered with), legal state changes through the command queue.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chain/chain.hpp"
#include "chain/crypto.hpp"
#include "common/quantities.hpp"
#include "config/config.hpp"
#include "evidence/bundle.hpp"
#include "evidence/legal_state.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

using namespace sealwatch;
using namespace sealwatch::evidence;
using namespace sealwatch::chain;

namespace {

using sealwatch::test_support::q;
using sealwatch::test_support::raw_db;
using sealwatch::test_support::reading;
using sealwatch::test_support::TempDir;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void spit(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

constexpr WallMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

const char* kConfig = R"toml(
[gateway]
id = "gw-test"
site = "plant-03"
data_dir = "DATA"
timezone = "UTC"

[uplink]
host = "127.0.0.1"
port = 1883
insecure = true

[[bus]]
id = "tcp-1"
kind = "tcp"
host = "127.0.0.1"
port = 1502

[[meter]]
id = "m1"
bus = "tcp-1"
unit = 1
profile = "eastron-sdm630"

[[meter]]
id = "m2"
bus = "tcp-1"
unit = 2
profile = "eastron-sdm630"

[[asset]]
id = "furnace-2"
kind = "induction_furnace"
state = "sealed"
meters = ["m1"]
standby_w = 300

[[asset]]
id = "line-1"
kind = "line"
state = "operating"
meters = ["m2"]
)toml";

config::Config load_config(const TempDir& dir) {
    std::string text = kConfig;
    text.replace(text.find("DATA"), 4, dir.path.string());
    spit(dir / "sw.toml", text);
    auto cfg = config::load(dir / "sw.toml");
    EXPECT_TRUE(cfg);
    return std::move(*cfg);
}

// A store with 10 batches of 2 meters and an event between them.
store::Store filled(const TempDir& dir) {
    auto s = store::Store::open(dir / "sealwatch.db", store::Options{});
    EXPECT_TRUE(s) << s.error().message;
    for (int i = 0; i < 10; ++i) {
        WallMs t = kT0 + WallMs{i} * 60000;
        // Deliberately not in (ts, meter) order: the store puts them in it.
        std::vector<Reading> batch = {reading("m2", t + 5, 20000 + i, 10.5 + i),
                                      reading("m1", t, 150.25, 100 + i * 0.01)};
        EXPECT_TRUE(s->append_readings(batch));
        if (i == 4) {
            EXPECT_TRUE(
                s->append_event(test_support::reenergized("gw-test:reenergized:furnace-2:1", t)));
        }
    }
    return std::move(*s);
}

}  // namespace

TEST(EvidenceCrypto, Sha256KnownAnswer) {
    EXPECT_EQ(hex(sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 h;
    h.update(std::string_view("a"));
    h.update(std::string_view("bc"));
    EXPECT_EQ(h.finish(), sha256("abc"));
}

TEST(EvidenceCrypto, SignVerifyAndRejectAlteredOrForeign) {
    auto k = SigningKey::generate();
    ASSERT_TRUE(k);
    auto sig = k->sign("head 42");
    ASSERT_TRUE(sig);
    EXPECT_TRUE(verify_signature(k->public_key(), "head 42", *sig));
    EXPECT_FALSE(verify_signature(k->public_key(), "head 43", *sig));
    auto other = SigningKey::generate();
    EXPECT_FALSE(verify_signature(other->public_key(), "head 42", *sig));
    auto forged = *sig;
    forged[10] ^= 1;
    EXPECT_FALSE(verify_signature(k->public_key(), "head 42", forged));
    EXPECT_EQ(fingerprint(k->public_key()).size(), 39u);
}

TEST(EvidenceCrypto, GatewayKeyCreatedOnceWithMode0600) {
    TempDir dir;
    auto a = load_or_create_gateway_key(dir.path.string());
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_TRUE(a->created);
    struct stat st {};
    ASSERT_EQ(::stat(a->key_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto b = load_or_create_gateway_key(dir.path.string());
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->created);
    EXPECT_EQ(a->key.public_key(), b->key.public_key());
    auto pub = load_public_key(b->pub_path);
    ASSERT_TRUE(pub);
    EXPECT_EQ(*pub, a->key.public_key());
    // A private key others can read is refused, not silently used or replaced.
    ::chmod(a->key_path.c_str(), 0644);
    auto c = load_or_create_gateway_key(dir.path.string());
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("chmod 600"), std::string::npos);
}

TEST(EvidenceChain, CanonicalFormsArePinned) {
    // The documented text forms (docs/evidence.md), checked against Python's hashlib.
    Record r;
    r.ts = kT0;
    r.meter = "m1";
    r.serial = "SN1";
    r.v[q("p_w")] = 180;
    r.v[q("e_imp_kwh")] = 1000.25;
    std::string line;
    append_record(line, r);
    EXPECT_EQ(line, "1767225600000|m1|3:SN1|6=180;14=1000.25\n");
    Sha256 d;
    d.update(kReadingsDomain);
    d.update(line);
    auto digest = d.finish();
    EXPECT_EQ(hex(digest), "b95b6cfde1f31c83d344c49e337be3f9c33b54af9b1f9a6bd632516f22c98d30");
    EXPECT_EQ(hex(link(kGenesis, 1, EntryKind::readings, 1, digest)),
              "b71bd21d7a2d514ec8c597b7617fd49a5e1e08035ffbd6ccf8e85a9ffc308d0b");
}

TEST(EvidenceChain, RatiosAreNotesOfTheRecordOnlyWhenNotOne) {
    Record r;
    r.ts = kT0;
    r.meter = "m1";
    r.v[q("p_w")] = 180;
    std::string line, csv;
    append_record(line, r);
    EXPECT_EQ(line, "1767225600000|m1|0:|6=180\n");  // the form from before the notes
    r.ratios = {200, 1};
    line.clear();
    append_record_and_csv(line, csv, r);
    EXPECT_EQ(line, "1767225600000|m1|0:|6=180|ct=200\n");
    EXPECT_TRUE(csv.ends_with(",180,,,,,,,,,,,,,,,,,200,1,0\n")) << csv;
    r.ratios = {0.5, 1100};
    line.clear();
    append_record(line, r);
    EXPECT_EQ(line, "1767225600000|m1|0:|6=180|ct=0.5;pt=1100\n");
    EXPECT_TRUE(csv_header().ends_with(",e_total_kwh,ct_ratio,pt_ratio,clock_unsynced\n"));
    r.clock_unsynced = true;
    line.clear();
    append_record(line, r);
    EXPECT_EQ(line, "1767225600000|m1|0:|6=180|ct=0.5;pt=1100;clock_unsynced\n");
    r.ratios = {};
    line.clear();
    csv.clear();
    append_record_and_csv(line, csv, r);
    EXPECT_EQ(line, "1767225600000|m1|0:|6=180|clock_unsynced\n");
    EXPECT_TRUE(csv.ends_with(",1,1,1\n")) << csv;
}

TEST(EvidenceChain, StoreChainsBatchesAndEventsAndSurvivesReopen) {
    TempDir dir;
    Digest head{};
    {
        auto s = filled(dir);
        EXPECT_EQ(s.chain_length(), 11);
        head = s.chain_head();
        // Recompute the whole chain from the rows.
        auto db = raw_db(dir / "sealwatch.db");
        auto st = db.prepare("SELECT n, kind, count, digest, head FROM chain ORDER BY n");
        ASSERT_TRUE(st);
        Digest h = kGenesis;
        while (*st->step()) {
            Digest dg{};
            auto b = st->blob(3);
            std::copy(b.begin(), b.end(), dg.begin());
            h = link(h, st->int64(0), static_cast<EntryKind>(st->int64(1)), st->int64(2), dg);
            Digest stored{};
            auto hb = st->blob(4);
            std::copy(hb.begin(), hb.end(), stored.begin());
            EXPECT_EQ(h, stored) << "entry " << st->int64(0);
        }
        EXPECT_EQ(h, head);
        // Stored in (ts, meter) order.
        auto first = db.prepare(
            "SELECT m.name FROM readings r JOIN meters m ON m.id = r.meter ORDER BY r.id LIMIT 1");
        ASSERT_TRUE(first && *first->step());
        EXPECT_EQ(first->text(0), "m1");
    }
    auto again = store::Store::open(dir / "sealwatch.db", store::Options{});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->chain_length(), 11);
    EXPECT_EQ(again->chain_head(), head);
    ASSERT_TRUE(again->append_readings(std::vector{reading("m1", kT0 + 3600000, 1, 1)}));
    EXPECT_EQ(again->chain_length(), 12);
}

class EvidenceBundle : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_ = load_config(dir_);
        auto s = filled(dir_);
        store_.emplace(std::move(s));
        auto k = SigningKey::generate();
        key_.emplace(std::move(*k));
    }
    std::string export_to(const std::string& name, std::optional<std::string> asset = {}) {
        ExportOptions o{kT0, kT0 + 3600000, std::move(asset), dir_ / name};
        auto r = export_bundle(*store_, cfg_, *key_, o);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return o.out_dir;
    }
    TempDir dir_;
    config::Config cfg_;
    std::optional<store::Store> store_;
    std::optional<SigningKey> key_;
};

TEST_F(EvidenceBundle, IntactBundleVerifies) {
    auto b = export_to("b");
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_TRUE(r.ok) << r.problem;
    auto csv = slurp(b + "/readings.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 21);  // header + 20
    auto html = slurp(b + "/report.html");
    EXPECT_NE(html.find("<svg"), std::string::npos);
    EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no other URL
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
}

// Issue 16: people read local time with its offset, and what each asset and each alarm drew.
TEST_F(EvidenceBundle, ReportShowsLocalTimeAndEnergy) {
    cfg_.gateway.timezone = "Asia/Shanghai";
    auto html = slurp(export_to("tz") + "/report.html");
    EXPECT_NE(html.find("2026-01-01 08:00:00 +08:00"), std::string::npos);  // kT0, the period
    EXPECT_NE(html.find("(Asia/Shanghai)"), std::string::npos);
    EXPECT_EQ(html.find("T00:00:00"), std::string::npos);  // no UTC time for people
    // furnace-2 (m1): its register went 100.00 -> 100.09; line-1 (m2): 10.5 -> 19.5.
    EXPECT_NE(html.find("0.090 kWh"), std::string::npos);
    EXPECT_NE(html.find("9.000 kWh"), std::string::npos);
    // The reenergized alarm raised at minute 4 and still open: 100.04 -> 100.09 so far.
    auto row = html.find("gw-test:reenergized:furnace-2:1");
    ASSERT_NE(row, std::string::npos);
    auto row_start = html.rfind("<tr>", row);
    EXPECT_NE(html.substr(row_start, row - row_start).find("0.050 kWh"), std::string::npos)
        << html.substr(row_start, row - row_start);
}

TEST_F(EvidenceBundle, AssetBundleCarriesContextAndVerifies) {
    auto b = export_to("a", "furnace-2");
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_TRUE(r.ok) << r.problem;
    auto csv = slurp(b + "/readings.csv");
    EXPECT_EQ(csv.find(",m2,"), std::string::npos);
    EXPECT_NE(slurp(b + "/context/readings.csv").find(",m2,"), std::string::npos);
}

TEST_F(EvidenceBundle, ChangedValueNamesItsBatch) {
    auto b = export_to("b");
    auto csv = slurp(b + "/readings.csv");
    auto pos = csv.find("20003");  // m2 at minute 3: the 4th batch, readings.csv lines 8-9
    ASSERT_NE(pos, std::string::npos);
    csv[pos] = '9';
    spit(b + "/readings.csv", csv);
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("readings.csv lines 8-9 (chain entry 4"), std::string::npos)
        << r.problem;
}

TEST_F(EvidenceBundle, WrongKeyAndForgedSignatureAreRefused) {
    auto b = export_to("b");
    auto other = SigningKey::generate();
    auto r = verify_bundle(b, other->public_key());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("wrong key"), std::string::npos) << r.problem;
    // Re-signing a changed manifest with another key and swapping the key in: caught by --pubkey.
    auto m = nlohmann::ordered_json::parse(slurp(b + "/manifest.json"));
    m["counts"]["readings"] = 1;
    m.erase("signature");
    m["public_key"] = base64(other->public_key());
    m["signature"] = base64(*other->sign(m.dump()));
    spit(b + "/manifest.json", m.dump(2));
    EXPECT_TRUE(verify_bundle(b, std::nullopt).ok);         // self-consistent, but ...
    EXPECT_FALSE(verify_bundle(b, key_->public_key()).ok);  // ... not the gateway's key
}

// Issue 15: a bundle copied as text failed as "inserted lines"; it is named for what it is.
TEST_F(EvidenceBundle, CrlfCopyIsSaidToBeATextCopy) {
    auto b = export_to("b");
    for (const char* name : {"readings.csv", "chain.csv", "events.jsonl"}) {
        std::string crlf;
        for (char c : slurp(b + "/" + name)) {
            if (c == '\n') crlf += '\r';
            crlf += c;
        }
        spit(b + "/" + name, crlf);
    }
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("readings.csv: lines end in CR LF: the bundle was copied as text"),
              std::string::npos)
        << r.problem;
    EXPECT_EQ(r.problem.find("inserted"), std::string::npos) << r.problem;
}

// A manifest's file list is read as hostile: names outside the folder (a device would never
// end) and entries of the wrong shape are refused, not followed nor thrown on.
TEST_F(EvidenceBundle, HostileFileListIsRefused) {
    auto b = export_to("b");
    const auto original = nlohmann::ordered_json::parse(slurp(b + "/manifest.json"));
    auto resign = [&](const std::string& name, const nlohmann::ordered_json& desc) {
        auto m = original;
        m["files"][name] = desc;
        m.erase("signature");
        m["signature"] = base64(*key_->sign(m.dump()));
        spit(b + "/manifest.json", m.dump(2));
        return verify_bundle(b, key_->public_key());
    };
    for (const char* name : {"/dev/zero", "../b/readings.csv", "context/../../x"}) {
        auto r = resign(name, {{"bytes", 1}, {"sha256", std::string(64, '0')}});
        EXPECT_FALSE(r.ok) << name;
        EXPECT_NE(r.problem.find("outside the bundle's folder"), std::string::npos) << r.problem;
    }
    for (const auto& desc : {nlohmann::ordered_json(1), nlohmann::ordered_json{{"bytes", "12"}},
                             nlohmann::ordered_json{{"bytes", 1}, {"sha256", 5}}}) {
        auto r = resign("report.html", desc);
        EXPECT_FALSE(r.ok) << desc.dump();
        EXPECT_NE(r.problem.find("unreadable entry for report.html"), std::string::npos)
            << r.problem;
    }
    auto r = resign("context", {{"bytes", 0}});  // a folder is no file
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("context: missing"), std::string::npos) << r.problem;

    auto m = original;  // a format that is no string threw nlohmann's type_error before
    m["format"] = 1;
    m.erase("signature");
    m["signature"] = base64(*key_->sign(m.dump()));
    spit(b + "/manifest.json", m.dump(2));
    r = verify_bundle(b, key_->public_key());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("not a sealwatch-evidence/1 bundle"), std::string::npos) << r.problem;
}

// A meter behind transformers: the bundle shows its primary values with the ratios they were
// derived by, in every row, and the chain covers the ratios: changed, they do not verify.
TEST_F(EvidenceBundle, RatiosAreShownPerRowAndCoveredByTheChain) {
    auto ct = reading("m1", kT0 + 30000, 3600000, 50000);
    ct.ratios = {200, 100};
    ASSERT_TRUE(store_->append_readings(std::vector<Reading>{ct}));
    auto b = export_to("b");
    EXPECT_TRUE(verify_bundle(b, key_->public_key()).ok);
    auto csv = slurp(b + "/readings.csv");
    EXPECT_TRUE(csv.starts_with("ts,meter,serial,u_l1_v,")) << csv.substr(0, 100);
    EXPECT_NE(csv.find(",e_total_kwh,ct_ratio,pt_ratio,clock_unsynced\n"), std::string::npos);
    EXPECT_NE(csv.find("2026-01-01T00:00:30.000Z,m1,,,,,,,,3600000,"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",50000,,,,,,,,,200,100,0\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",100,,,,,,,,,1,1,0\n"), std::string::npos) << csv;  // m1 at kT0: no CT
    auto html = slurp(b + "/report.html");
    EXPECT_NE(html.find("m1: CT 200 × PT 100"), std::string::npos);
    EXPECT_EQ(html.find("m2: CT"), std::string::npos);  // no transformer: nothing to say

    const auto at = csv.find(",200,100,");
    csv.replace(at, 9, ",20,1000,");  // same bytes, other ratios: the same product, a lie
    spit(b + "/readings.csv", csv);
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("does not match the chain"), std::string::npos) << r.problem;
}

namespace {

// A bundle exported by an earlier agent: made here from a current export of readings whose
// records have the old form (no transformer, clock synchronised), its readings files cut back
// by the `dropped` last note columns and signed again as the old agent did.
std::string cut_note_columns(const std::string& b, size_t dropped, const SigningKey& key) {
    auto m = nlohmann::ordered_json::parse(slurp(b + "/manifest.json"));
    for (const char* name : {"readings.csv", "context/readings.csv"}) {
        std::istringstream in(slurp(b + "/" + name));
        std::string old_csv, line;
        while (std::getline(in, line)) {
            for (size_t i = 0; i < dropped; ++i) line.resize(line.rfind(','));
            old_csv += line + "\n";
        }
        spit(b + "/" + name, old_csv);
        m["files"][name]["bytes"] = old_csv.size();
    }
    m.erase("signature");
    m["signature"] = base64(*key.sign(m.dump()));
    spit(b + "/manifest.json", m.dump(2));
    return slurp(b + "/readings.csv");
}

}  // namespace

// Before the ratio columns: its header and rows end with the quantities.
TEST_F(EvidenceBundle, BundleWithoutNoteColumnsStillVerifies) {
    auto b = export_to("old", "furnace-2");
    ASSERT_EQ(cut_note_columns(b, kNoteColumns.size(), *key_).find("ratio"), std::string::npos);
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_TRUE(r.ok) << r.problem;

    // Its rows keep the old width: a row with a stray extra cell is still refused.
    auto csv = slurp(b + "/readings.csv");
    csv.insert(csv.find('\n', csv.find('\n') + 1), ",1");
    spit(b + "/readings.csv", csv);
    r = verify_bundle(b, key_->public_key());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.problem.find("more cells than the header"), std::string::npos) << r.problem;
}

// After the ratio columns, before the clock state's: rows end with ct_ratio,pt_ratio.
TEST_F(EvidenceBundle, BundleWithRatiosButNoClockColumnStillVerifies) {
    auto b = export_to("ratios", "furnace-2");
    const auto csv = cut_note_columns(b, 1, *key_);
    ASSERT_EQ(csv.find("clock_unsynced"), std::string::npos);
    ASSERT_NE(csv.find(",e_total_kwh,ct_ratio,pt_ratio\n"), std::string::npos);
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_TRUE(r.ok) << r.problem;
}

// Readings polled while the gateway's clock was not synchronised: the bundle says so per row,
// in its clock_unsynced column, and the chain covers the flag both ways.
TEST_F(EvidenceBundle, ClockStateIsAColumnAndCoveredByTheChain) {
    auto unsynced = reading("m2", kT0 + 30000, 21000, 12);
    unsynced.clock_unsynced = true;
    ASSERT_TRUE(store_->append_readings(std::vector<Reading>{unsynced}));
    auto b = export_to("b");
    EXPECT_TRUE(verify_bundle(b, key_->public_key()).ok);
    const auto original = slurp(b + "/readings.csv");
    const auto row = original.find("2026-01-01T00:00:30.000Z,m2,");
    ASSERT_NE(row, std::string::npos) << original;
    const auto end = original.find('\n', row);
    EXPECT_EQ(original.substr(end - 6, 6), ",1,1,1") << original.substr(row, end - row);
    EXPECT_EQ(original.find(",1,1,1\n", end), std::string::npos);  // the others were synced
    EXPECT_NE(slurp(b + "/report.html").find("<td>1 条读数采集时网关时钟未同步"),
              std::string::npos);
    for (const char* flag : {"0", "", "2"}) {  // hidden, emptied, or not a flag
        auto csv = original;
        csv.replace(end - 1, 1, flag);
        spit(b + "/readings.csv", csv);
        auto r = verify_bundle(b, key_->public_key());
        EXPECT_FALSE(r.ok) << flag;
    }
    auto csv = original;  // a synchronised row claimed unsynchronised
    csv.replace(csv.find(",1,1,0\n"), 7, ",1,1,1\n");
    spit(b + "/readings.csv", csv);
    EXPECT_FALSE(verify_bundle(b, key_->public_key()).ok);
}

TEST_F(EvidenceBundle, RolledUpBatchesStillVerifyAndAreCounted) {
    // Retention removes the raw rows of the first batches; the chain keeps their digests.
    ASSERT_TRUE(raw_db(dir_ / "sealwatch.db").exec("DELETE FROM readings WHERE id <= 5"));
    auto b = export_to("b");
    auto r = verify_bundle(b, key_->public_key());
    EXPECT_TRUE(r.ok) << r.problem;
    bool noted = false;
    for (const auto& n : r.notes) noted = noted || n.find("rolled up") != std::string::npos;
    EXPECT_TRUE(noted);
}

TEST_F(EvidenceBundle, SetStateWithoutAgentChainsTheEventAndPersists) {
    store::StateCommand c;
    c.created_ms = kT0;
    c.asset = "furnace-2";
    c.state = "dismantled";
    c.by = "county inspector Li";
    c.note = "decision 2026-17";
    auto id = store_->queue_state_command(c);
    ASSERT_TRUE(id);
    c.asset = "no-such-asset";
    auto bad = store_->queue_state_command(c);
    ASSERT_TRUE(bad);
    auto before = store_->chain_length();
    auto applied = apply_without_agent(*store_, cfg_);
    ASSERT_TRUE(applied) << applied.error().message;
    ASSERT_EQ(applied->size(), 2u);
    EXPECT_TRUE((*applied)[0].ok);
    EXPECT_FALSE((*applied)[1].ok);
    EXPECT_GT(store_->chain_length(), before);
    auto cmd = store_->state_command(*id);
    ASSERT_TRUE(cmd && *cmd);
    EXPECT_EQ((*cmd)->status, "applied");
    EXPECT_GT((*cmd)->chain_n, before);
    auto states = store_->asset_states();
    ASSERT_TRUE(states);
    ASSERT_EQ(states->size(), 1u);
    EXPECT_EQ((*states)[0].state, "dismantled");
    EXPECT_EQ((*store_->state_command(*bad))->status, "rejected");
    // A new detector (a restart) takes the recorded state over the config's.
    detect::Detector d(cfg_);
    restore_asset_states(*store_, d, cfg_);
    std::vector<Event> out;
    d.set_asset_state("furnace-2", config::AssetState::dismantled, kT0 + 1, "x", "", out);
    EXPECT_TRUE(out.empty());  // already dismantled: no change, no event
}
