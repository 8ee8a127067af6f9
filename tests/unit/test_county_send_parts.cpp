// The pure parts of `sealwatch-county send`: the signed command (held to the gateway's own
// verification), its NAME=VALUE args, and the export bundle put back together from its chunks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "command/verify.hpp"
#include "county/export_assembly.hpp"
#include "county/send.hpp"
#include "county/signed_command.hpp"
#include "test_support.hpp"

using namespace sealwatch;

namespace {

const WallMs kNow = 1795298400000;  // 2026-11-21T22:00:00Z

class Nonces : public command::NonceMemory {
  public:
    bool seen(std::string_view nonce) override { return kept.contains(std::string(nonce)); }
    bool remember(std::string_view nonce, WallMs keep_until) override {
        kept[std::string(nonce)] = keep_until;
        return true;
    }
    std::map<std::string, WallMs> kept;
};

wire::CommandBody set_state_body() {
    wire::CommandBody b;
    b.verb = "set-state";
    b.gateway = "gw-001";
    b.args = {{"asset", "furnace-2"}, {"state", "operating"}, {"by", "inspector Li"}};
    b.issued = kNow - 1000;
    b.expires = kNow + 600000;
    b.nonce = county::new_nonce();
    return b;
}

command::Verdict judge(const std::string& payload, const chain::PublicKey& trusted,
                       Nonces& nonces) {
    std::vector<command::TrustedKey> keys{{"county-1", trusted}};
    command::Context c;
    c.gateway = "gw-001";
    c.keys = keys;
    c.now = kNow;
    c.clock_synced = true;
    return command::verify("set-state", payload, c, nonces);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The chunks of a bundle of two files, cut as the gateway cuts them (`cut` raw bytes each).
std::vector<wire::ExportChunk> chunks_of(const std::map<std::string, std::string>& files,
                                         size_t cut, const std::string& nonce) {
    std::vector<wire::ExportChunk> out;
    for (const auto& [name, bytes] : files) {
        size_t offset = 0;
        do {
            wire::ExportChunk c;
            c.nonce = nonce;
            c.file = name;
            c.offset = static_cast<int64_t>(offset);
            c.size = static_cast<int64_t>(bytes.size());
            c.data = bytes.substr(offset, cut);
            offset += cut;
            out.push_back(c);
        } while (offset < bytes.size());
    }
    for (size_t i = 0; i < out.size(); ++i) {
        out[i].index = static_cast<int64_t>(i);
        out[i].count = static_cast<int64_t>(out.size());
    }
    return out;
}

const std::map<std::string, std::string> kFiles{
    {"manifest.json", "{\"gateway\":\"gw-001\"}"},
    {"context/readings.csv", "ts,meter,p_w\n1,m1,2\n3,m1,4\n5,m1,6\n"},
    {"empty.jsonl", ""}};

}  // namespace

TEST(CountySignedCommand, NoncesAreValidAndNeverRepeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto n = county::new_nonce();
        EXPECT_TRUE(wire::valid_nonce(n)) << n;
        EXPECT_TRUE(seen.insert(n).second) << n;
    }
}

TEST(CountySignedCommand, TheGatewaysOwnVerificationAcceptsIt) {
    auto key = chain::SigningKey::generate().value();
    auto body = set_state_body();
    auto payload = county::sign_command(key, "county-1", body).value();
    Nonces nonces;
    auto v = judge(payload, key.public_key(), nonces);
    ASSERT_TRUE(v.accepted()) << command::reason(*v.refusal) << ": " << v.detail;
    EXPECT_EQ(v.key, "county-1");
    EXPECT_EQ(v.body.nonce, body.nonce);
    EXPECT_EQ(v.body.args, body.args);
    EXPECT_EQ(v.body.expires, body.expires);
}

TEST(CountySignedCommand, AnotherKeyIsRefusedAsABadSignature) {
    auto key = chain::SigningKey::generate().value();
    auto other = chain::SigningKey::generate().value();
    auto payload = county::sign_command(other, "county-1", set_state_body()).value();
    Nonces nonces;
    auto v = judge(payload, key.public_key(), nonces);
    ASSERT_FALSE(v.accepted());
    EXPECT_EQ(command::reason(*v.refusal), "bad_signature");
}

TEST(CountySendArgs, NameValueWordsBecomeStringArgs) {
    std::string problem;
    auto a = county::parse_args({"asset=furnace-2", "by=inspector Li", "note=a=b", "x="}, problem);
    ASSERT_TRUE(a) << problem;
    EXPECT_EQ(*a, (nlohmann::json{
                      {"asset", "furnace-2"}, {"by", "inspector Li"}, {"note", "a=b"}, {"x", ""}}));
    EXPECT_TRUE(county::parse_args({}, problem)->empty());
    EXPECT_FALSE(county::parse_args({"furnace-2"}, problem));
    EXPECT_EQ(problem, "argument 'furnace-2' is not NAME=VALUE");
    EXPECT_FALSE(county::parse_args({"=x"}, problem));
    EXPECT_FALSE(county::parse_args({"by=a", "by=b"}, problem));
    EXPECT_EQ(problem, "argument 'by' given twice");
}

TEST(CountyExportAssembly, ChunksInAnyOrderAndTwiceMakeTheSameFiles) {
    auto chunks = chunks_of(kFiles, 7, "nonce-0123456789ab");
    county::ExportAssembly bundle("nonce-0123456789ab");
    EXPECT_EQ(bundle.expected(), 0);
    for (size_t i = chunks.size(); i-- > 0;) ASSERT_EQ(bundle.add(chunks[i]), "");  // last first
    ASSERT_EQ(bundle.add(chunks[2]), "");  // QoS 1 may deliver again
    EXPECT_TRUE(bundle.complete());
    EXPECT_TRUE(bundle.missing().empty());
    test_support::TempDir dir;
    ASSERT_TRUE(bundle.write(dir / "b"));
    for (const auto& [name, bytes] : kFiles) EXPECT_EQ(read_file(dir / "b/" + name), bytes);
}

TEST(CountyExportAssembly, AMissingChunkIsNamedAndNothingIsWritten) {
    auto chunks = chunks_of(kFiles, 7, "nonce-0123456789ab");
    county::ExportAssembly bundle("nonce-0123456789ab");
    for (size_t i = 0; i < chunks.size(); ++i)
        if (i != 3) {
            ASSERT_EQ(bundle.add(chunks[i]), "");
        }
    EXPECT_FALSE(bundle.complete());
    EXPECT_EQ(bundle.missing(), std::vector<int64_t>{3});
    test_support::TempDir dir;
    auto w = bundle.write(dir / "b");
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().message, "bundle incomplete: " + std::to_string(chunks.size() - 1) +
                                     " of " + std::to_string(chunks.size()) + " chunks arrived");
    EXPECT_FALSE(std::filesystem::exists(dir / "b"));
}

TEST(CountyExportAssembly, ChunksThatDoNotFitAreRefused) {
    auto chunks = chunks_of(kFiles, 7, "nonce-0123456789ab");
    county::ExportAssembly bundle("nonce-0123456789ab");
    ASSERT_EQ(bundle.add(chunks[0]), "");
    auto other = chunks[1];
    other.nonce = "another-nonce-0123";
    EXPECT_NE(bundle.add(other), "");
    auto recount = chunks[1];
    recount.count += 1;
    EXPECT_NE(bundle.add(recount), "");
    auto beyond = chunks[1];
    beyond.index = beyond.count;
    EXPECT_NE(bundle.add(beyond), "");
    auto past_end = chunks[1];
    past_end.offset = past_end.size;
    EXPECT_NE(bundle.add(past_end), "");
    auto altered = chunks[0];
    altered.data[0] ^= 1;
    EXPECT_EQ(bundle.add(altered), "chunk 0 arrived twice with different content");
}

TEST(CountyExportAssembly, AFileNotCoveredToItsSizeIsNotWritten) {
    // Every chunk arrived, but one says its file is longer than the chunks make it.
    auto chunks = chunks_of(kFiles, 7, "nonce-0123456789ab");
    for (auto& c : chunks)
        if (c.file == "manifest.json") c.size += 5;
    county::ExportAssembly bundle("nonce-0123456789ab");
    for (const auto& c : chunks) ASSERT_EQ(bundle.add(c), "");
    ASSERT_TRUE(bundle.complete());
    test_support::TempDir dir;
    auto w = bundle.write(dir / "b");
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("manifest.json"), std::string::npos) << w.error().message;
}

TEST(CountyExportAssembly, NeverWritesIntoAFolderThatHasFiles) {
    auto chunks = chunks_of(kFiles, 64, "nonce-0123456789ab");
    county::ExportAssembly bundle("nonce-0123456789ab");
    for (const auto& c : chunks) ASSERT_EQ(bundle.add(c), "");
    test_support::TempDir dir;
    std::ofstream(dir / "old") << "x";
    auto w = bundle.write(dir.path.string());
    ASSERT_FALSE(w);
    EXPECT_NE(w.error().message.find("not empty"), std::string::npos);
}
