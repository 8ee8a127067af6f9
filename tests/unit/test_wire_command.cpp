// The command envelope, body and reply as they travel (docs/protocol.md, "Commands"): what the
// county side writes parses back on the gateway, and broken forms are refused, not thrown.
#include <gtest/gtest.h>

#include "wire/command.hpp"

using namespace sealwatch;
using namespace sealwatch::wire;

namespace {

const WallMs kIssued = 1795298400000;  // 2026-11-21T22:00:00Z

CommandBody ping_body() {
    CommandBody b;
    b.verb = "ping";
    b.gateway = "gw-001";
    b.issued = kIssued;
    b.expires = kIssued + 600000;
    b.nonce = "n0nce-0123456789abcdef";
    return b;
}

}  // namespace

TEST(WireCommand, EnvelopeRoundTripsWithTheBodyBytesUntouched) {
    // A body with spacing and member order no serialiser would choose: it must come back as is,
    // because the signature covers exactly these bytes.
    const std::string body = R"({ "verb":"ping",  "v":1, "gateway":"gw-001" })";
    auto text = encode_envelope({"county-1", "c2lnbmF0dXJl", body});
    auto e = parse_envelope(text);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->key, "county-1");
    EXPECT_EQ(e->sig, "c2lnbmF0dXJl");
    EXPECT_EQ(e->body, body);
}

TEST(WireCommand, EnvelopeMustBeExactlyKeySigBodyStrings) {
    for (const char* bad :
         {"", "null", "[]", "{}", "not json", R"({"key":"k","sig":"s"})",
          R"({"key":"k","sig":"s","body":{}})", R"({"key":1,"sig":"s","body":"b"})",
          R"({"key":"k","sig":"s","body":"b","extra":1})", R"({"key":"k","sig":"s","body":"b")"})
        EXPECT_FALSE(parse_envelope(bad)) << bad;
}

TEST(WireCommand, BodyRoundTrips) {
    auto b = ping_body();
    b.verb = "set-state";
    b.args = {{"asset", "furnace-2"}, {"state", "sealed"}, {"by", "inspector Li"}};
    auto back = parse_body(encode_body(b));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->v, 1);
    EXPECT_EQ(back->verb, "set-state");
    EXPECT_EQ(back->gateway, "gw-001");
    EXPECT_EQ(back->args, b.args);
    EXPECT_EQ(back->issued, b.issued);
    EXPECT_EQ(back->expires, b.expires);
    EXPECT_EQ(back->nonce, b.nonce);
}

TEST(WireCommand, BodyTimesMayCarryAnOffset) {
    auto b = parse_body(
        R"({"v":1,"verb":"ping","gateway":"gw-001","args":{},"issued":"2026-11-22T06:00:00+08:00",)"
        R"("expires":"2026-11-22T06:10:00+08:00","nonce":"abcdefghijklmnop"})");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->issued, kIssued);
    EXPECT_EQ(b->expires, kIssued + 600000);
}

TEST(WireCommand, BodyWithAMissingOrWrongMemberIsRefused) {
    const std::string good = encode_body(ping_body());
    ASSERT_TRUE(parse_body(good));
    auto with = [&](const char* member, const nlohmann::json& value) {
        auto j = nlohmann::json::parse(good);
        if (value.is_discarded()) {
            j.erase(member);
        } else {
            j[member] = value;
        }
        return j.dump();
    };
    const auto gone = nlohmann::json(nlohmann::json::value_t::discarded);
    for (const char* m : {"v", "verb", "gateway", "issued", "expires", "nonce"})
        EXPECT_FALSE(parse_body(with(m, gone))) << "without " << m;
    EXPECT_FALSE(parse_body(with("v", "1")));
    EXPECT_FALSE(parse_body(with("v", 1.5)));
    EXPECT_FALSE(parse_body(with("args", "x")));
    EXPECT_FALSE(parse_body(with("args", nlohmann::json::array())));
    EXPECT_FALSE(parse_body(with("issued", "yesterday")));
    EXPECT_FALSE(parse_body(with("expires", 1795298400)));
    EXPECT_FALSE(parse_body(with("nonce", "short")));
    EXPECT_FALSE(parse_body(with("nonce", std::string(65, 'a'))));
    EXPECT_FALSE(parse_body(with("nonce", "has a space in it!!")));
    EXPECT_FALSE(parse_body("[1]"));
    EXPECT_FALSE(parse_body("{"));
    // Absent args are an empty object; unknown members are for later versions.
    auto b = parse_body(with("args", gone));
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->args.is_object() && b->args.empty());
    EXPECT_TRUE(parse_body(with("later", 1)));
}

TEST(WireCommand, NonceAlphabetAndLength) {
    EXPECT_TRUE(valid_nonce("abcdefghijklmnop"));
    EXPECT_TRUE(valid_nonce(std::string(64, 'Z')));
    EXPECT_TRUE(valid_nonce("A-b_0123456789xyz"));
    EXPECT_FALSE(valid_nonce("abcdefghijklmno"));
    EXPECT_FALSE(valid_nonce(std::string(65, 'a')));
    EXPECT_FALSE(valid_nonce("abcdefghijklmno/"));
    EXPECT_FALSE(valid_nonce("abcdefghijklmno+"));
}

TEST(WireCommand, BodyNonceIsFoundInABodyThatFailsOtherwise) {
    EXPECT_EQ(body_nonce(R"({"nonce":"abcdefghijklmnop"})"), "abcdefghijklmnop");
    EXPECT_FALSE(body_nonce(R"({"nonce":"short"})"));
    EXPECT_FALSE(body_nonce("nonsense"));
}

// 7,000 levels fit in 16 KiB and overflowed the parser's stack under ASan: refused unparsed.
TEST(WireCommand, DeeplyNestedArgsInsideTheSizeLimitAreRefusedBeforeParsing) {
    std::string deep(7000, '[');
    deep += std::string(7000, ']');
    std::string body = R"({"v":1,"verb":"ping","gateway":"gw-001","args":{"x":)" + deep +
                       R"(},"issued":"2026-11-21T22:00:00Z","expires":"2026-11-21T22:10:00Z",)"
                       R"("nonce":"abcdefghijklmnop"})";
    ASSERT_LE(body.size(), kCommandMaxBytes);
    EXPECT_FALSE(parse_body(body));
}

TEST(WireCommand, ReplyRoundTripsAndANullNonce) {
    CommandReply r;
    r.nonce = "n0nce-0123456789abcdef";
    r.verb = "ping";
    r.ok = true;
    r.ts = kIssued;
    r.result = {{"version", "0.1.0"}, {"next_seq", 42}};
    auto text = encode_reply(r);
    EXPECT_EQ(text.rfind(R"({"nonce":"n0nce-0123456789abcdef","verb":"ping","ok":true,)", 0), 0u)
        << text;
    auto back = parse_reply(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->nonce, r.nonce);
    EXPECT_EQ(back->verb, "ping");
    EXPECT_TRUE(back->ok);
    EXPECT_EQ(back->ts, kIssued);
    EXPECT_EQ(back->result, r.result);

    CommandReply broken;
    broken.verb = "ping";
    broken.reason = "malformed";
    broken.ts = kIssued;
    auto j = nlohmann::json::parse(encode_reply(broken));
    EXPECT_TRUE(j["nonce"].is_null());
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["reason"], "malformed");
    auto back2 = parse_reply(j.dump());
    ASSERT_TRUE(back2);
    EXPECT_FALSE(back2->nonce);
    EXPECT_EQ(back2->reason, "malformed");
    EXPECT_FALSE(parse_reply(R"({"verb":"ping","ok":true,"ts":"2026-11-21T22:00:00Z"})"));
    EXPECT_FALSE(parse_reply("garbage"));
}

TEST(WireCommand, ExportChunkRoundTripsAnyBytes) {
    ExportChunk c;
    c.nonce = "n0nce-0123456789abcdef";
    c.index = 3;
    c.count = 9;
    c.file = "context/readings.csv";
    c.offset = 100;
    c.size = 100 + 256;
    for (int i = 0; i < 256; ++i) c.data.push_back(static_cast<char>(i));
    auto back = parse_export_chunk(encode_export_chunk(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->nonce, c.nonce);
    EXPECT_EQ(back->index, 3);
    EXPECT_EQ(back->count, 9);
    EXPECT_EQ(back->file, c.file);
    EXPECT_EQ(back->offset, 100);
    EXPECT_EQ(back->size, 356);
    EXPECT_EQ(back->data, c.data);
    c.data = std::string(kExportChunkBytes, 'x');  // a full chunk, far over 4 KiB of base64
    c.offset = 0;
    c.size = static_cast<int64_t>(kExportChunkBytes);
    back = parse_export_chunk(encode_export_chunk(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->data.size(), kExportChunkBytes);
}

TEST(WireCommand, ExportChunkThatWouldLeaveTheFolderOrOverrunItsFileIsRefused) {
    ExportChunk c;
    c.nonce = "n0nce-0123456789abcdef";
    c.count = 1;
    c.file = "manifest.json";
    c.size = 3;
    c.data = "abc";
    ASSERT_TRUE(parse_export_chunk(encode_export_chunk(c)));
    for (const char* bad : {"../etc/passwd", "/etc/passwd", "a//b", "a/./b", "a\\b", ""}) {
        c.file = bad;
        EXPECT_FALSE(parse_export_chunk(encode_export_chunk(c))) << bad;
    }
    c.file = "manifest.json";
    c.offset = 1;  // 1 + 3 bytes > size 3
    EXPECT_FALSE(parse_export_chunk(encode_export_chunk(c)));
    c.offset = 0;
    c.index = 1;  // index must be below count
    EXPECT_FALSE(parse_export_chunk(encode_export_chunk(c)));
    EXPECT_FALSE(parse_export_chunk(R"({"nonce":"n0nce-0123456789abcdef","i":0,"n":1,)"
                                    R"("file":"a","offset":0,"size":3,"data":"!!!!"})"));
}
