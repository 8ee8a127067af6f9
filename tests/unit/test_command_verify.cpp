// The verdict on a county command (contract, "Commands from the county office"): one test per
// refusal, each on a command that is valid in every other way, so that the refusal is caused by
// the one thing the test changed.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "command/verbs.hpp"
#include "command/verify.hpp"

using namespace sealwatch;
using namespace sealwatch::command;

namespace {

const WallMs kNow = 1795298400000;  // 2026-11-21T22:00:00Z

class Nonces : public NonceMemory {
  public:
    bool seen(std::string_view nonce) override { return kept.contains(std::string(nonce)); }
    bool remember(std::string_view nonce, WallMs keep_until) override {
        if (broken) return false;
        kept[std::string(nonce)] = keep_until;
        return true;
    }
    std::map<std::string, WallMs> kept;
    bool broken = false;
};

struct County {
    chain::SigningKey key = chain::SigningKey::generate().value();
    std::string id = "county-1";

    std::string sign(const std::string& body) const {
        auto sig = key.sign(body).value();
        return wire::encode_envelope({id, chain::base64(sig), body});
    }
};

wire::CommandBody body(const std::string& verb = "ping") {
    wire::CommandBody b;
    b.verb = verb;
    b.gateway = "gw-001";
    b.issued = kNow - 1000;
    b.expires = kNow + 600000;
    b.nonce = "n0nce-0123456789abcdef";
    return b;
}

class CommandVerify : public ::testing::Test {
  protected:
    Verdict judge(const std::string& topic_verb, const std::string& payload, bool synced = true,
                  Channel channel = Channel::mqtt) {
        Context c;
        c.gateway = "gw-001";
        c.keys = keys;
        c.now = now;
        c.clock_synced = synced;
        c.channel = channel;
        return verify(topic_verb, payload, c, nonces);
    }
    Verdict judge(const wire::CommandBody& b, bool synced = true) {
        return judge(b.verb, county.sign(wire::encode_body(b)), synced);
    }
    // As the agent judges a request file found on an inspector's USB stick.
    Verdict judge_stick(const wire::CommandBody& b) {
        return judge("inspect", county.sign(wire::encode_body(b)), true, Channel::stick);
    }
    void expect_refused(const Verdict& v, Refusal why) {
        ASSERT_FALSE(v.accepted());
        EXPECT_EQ(reason(*v.refusal), reason(why)) << v.detail;
        EXPECT_TRUE(nonces.kept.empty()) << "a refused command's nonce is not remembered";
    }

    County county;
    std::vector<TrustedKey> keys{{"county-1", county.key.public_key()}};
    Nonces nonces;
    WallMs now = kNow;
};

}  // namespace

TEST_F(CommandVerify, AValidCommandIsAcceptedAndItsNonceRemembered) {
    auto v = judge(body());
    ASSERT_TRUE(v.accepted()) << reason(*v.refusal) << " " << v.detail;
    EXPECT_EQ(v.key, "county-1");
    EXPECT_EQ(v.nonce, "n0nce-0123456789abcdef");
    EXPECT_EQ(v.body.verb, "ping");
    ASSERT_EQ(nonces.kept.size(), 1u);
    EXPECT_GE(nonces.kept.begin()->second, kNow + 600000 + kNonceKeepMs);
}

TEST_F(CommandVerify, EveryVerbWithGoodArgsIsAccepted) {
    struct Case {
        const char* verb;
        nlohmann::json args;
    };
    int i = 0;
    for (const auto& c :
         {Case{"ping", nlohmann::json::object()}, Case{"reload", nlohmann::json::object()},
          Case{"set-state", {{"asset", "furnace-2"}, {"state", "sealed"}, {"by", "Li"}}},
          Case{"set-state",
               {{"asset", "furnace-2"}, {"state", "operating"}, {"by", "Li"}, {"note", "ok"}}},
          Case{"export", {{"from", "2026-11-20T00:00:00Z"}, {"to", "2026-11-21T00:00:00Z"}}},
          Case{"export", {{"from", "1795000000"}, {"to", "1795100000"}, {"asset", "f-2"}}}}) {
        auto b = body(c.verb);
        b.args = c.args;
        b.nonce = "distinct-nonce-" + std::to_string(i++) + "-abc";
        auto v = judge(b);
        EXPECT_TRUE(v.accepted()) << c.verb << " " << c.args.dump() << ": " << v.detail;
    }
}

TEST_F(CommandVerify, ForgedSignatureIsRefused) {
    // Signed by a key that claims to be county-1 but is not the trusted one.
    County forger;
    auto v = judge("ping", forger.sign(wire::encode_body(body())));
    expect_refused(v, Refusal::bad_signature);
    EXPECT_EQ(v.nonce, "n0nce-0123456789abcdef") << "the reply still names the nonce";
}

TEST_F(CommandVerify, AlteredBodyIsRefused) {
    // The signature was over "gw-001"'s ping; one byte of the body changed after signing.
    auto text = wire::encode_body(body());
    auto sig = county.key.sign(text).value();
    text[text.find("ping")] = 'P';
    expect_refused(judge("Ping", wire::encode_envelope({"county-1", chain::base64(sig), text})),
                   Refusal::bad_signature);
}

TEST_F(CommandVerify, SignatureThatIsNotBase64Of64BytesIsABadSignature) {
    auto text = wire::encode_body(body());
    for (const char* sig : {"", "!!!!", "c2lnbmF0dXJl"})
        expect_refused(judge("ping", wire::encode_envelope({"county-1", sig, text})),
                       Refusal::bad_signature);
}

TEST_F(CommandVerify, UnknownKeyIsRefused) {
    County other;
    other.id = "county-9";
    expect_refused(judge("ping", other.sign(wire::encode_body(body()))), Refusal::unknown_key);
}

TEST_F(CommandVerify, ReplayedNonceIsRefusedTheSecondTime) {
    auto payload = county.sign(wire::encode_body(body()));
    ASSERT_TRUE(judge("ping", payload).accepted());
    auto v = judge("ping", payload);
    ASSERT_FALSE(v.accepted());
    EXPECT_EQ(*v.refusal, Refusal::replayed);
    // A different command that reuses the nonce is a replay too.
    auto b = body("reload");
    EXPECT_EQ(*judge(b).refusal, Refusal::replayed);
}

TEST_F(CommandVerify, NonceThatCannotBeRecordedRefusesTheCommand) {
    nonces.broken = true;
    expect_refused(judge(body()), Refusal::nonce_unsaved);
}

TEST_F(CommandVerify, ExpiredIsRefusedWhileTheClockIsSynchronised) {
    auto b = body();
    b.issued = kNow - 3600000;
    b.expires = kNow - 1;
    expect_refused(judge(b), Refusal::expired);
    // With no synchronised clock the gateway cannot tell: accepted, on the nonce alone.
    EXPECT_TRUE(judge(b, /*synced=*/false).accepted());
}

TEST_F(CommandVerify, IssuedMoreThanFiveMinutesAheadIsRefusedWhileTheClockIsSynchronised) {
    auto b = body();
    b.issued = kNow + kMaxIssuedAheadMs + 1;
    b.expires = b.issued + 60000;
    expect_refused(judge(b), Refusal::issued_ahead);
    b.issued = kNow + kMaxIssuedAheadMs;  // the limit itself is fine
    EXPECT_TRUE(judge(b).accepted());
    nonces.kept.clear();
    b.issued = kNow + 3600000;
    b.expires = b.issued + 60000;
    b.nonce = "another-nonce-0123456789";
    EXPECT_TRUE(judge(b, /*synced=*/false).accepted());
}

TEST_F(CommandVerify, ValidityLongerThan24HoursIsRefusedWhateverTheClock) {
    auto b = body();
    b.expires = b.issued + kMaxValidityMs + 1;
    expect_refused(judge(b), Refusal::too_long);
    expect_refused(judge(b, /*synced=*/false), Refusal::too_long);
}

TEST_F(CommandVerify, ExpiresNotAfterIssuedIsMalformed) {
    auto b = body();
    b.expires = b.issued;
    expect_refused(judge(b, /*synced=*/false), Refusal::malformed);
}

TEST_F(CommandVerify, AnotherGatewaysCommandIsRefused) {
    auto b = body();
    b.gateway = "gw-002";
    expect_refused(judge(b), Refusal::other_gateway);
}

TEST_F(CommandVerify, VerbThatDiffersFromTheTopicIsRefused) {
    // A signed reload re-published on P/cmd/ping must not be carried out as anything.
    auto b = body("reload");
    expect_refused(judge("ping", county.sign(wire::encode_body(b))), Refusal::verb_mismatch);
}

TEST_F(CommandVerify, UnknownVerbIsRefused) {
    expect_refused(judge(body("format-disk")), Refusal::unknown_verb);
}

TEST_F(CommandVerify, BadArgsAreRefusedSayingWhat) {
    struct Case {
        const char* verb;
        nlohmann::json args;
        const char* says;
    };
    for (const auto& c : {
             Case{"ping", {{"x", 1}}, "unexpected arg 'x'"},
             Case{"set-state", {{"asset", "f-2"}, {"state", "sealed"}}, "missing arg 'by'"},
             Case{"set-state", {{"asset", "f-2"}, {"state", "melted"}, {"by", "Li"}}, "'state'"},
             Case{"set-state", {{"asset", "f 2"}, {"state", "shut"}, {"by", "Li"}}, "'asset'"},
             Case{"set-state", {{"asset", "f-2"}, {"state", "shut"}, {"by", ""}}, "'by'"},
             Case{"set-state",
                  {{"asset", "f-2"}, {"state", "shut"}, {"by", "Li"}, {"note", 5}},
                  "'note' must be a string"},
             Case{"set-state",
                  {{"asset", "f-2"}, {"state", "shut"}, {"by", "Li"}, {"notes", "x"}},
                  "unexpected arg 'notes'"},
             Case{"export", {{"from", "2026-11-20T00:00:00Z"}}, "missing arg 'to'"},
             Case{"export", {{"from", "soon"}, {"to", "later"}}, "RFC 3339"},
             Case{"export",
                  {{"from", "2026-11-21T00:00:00Z"}, {"to", "2026-11-20T00:00:00Z"}},
                  "after"},
         }) {
        auto b = body(c.verb);
        b.args = c.args;
        auto v = judge(b);
        expect_refused(v, Refusal::bad_args);
        EXPECT_NE(v.detail.find(c.says), std::string::npos) << c.args.dump() << ": " << v.detail;
    }
}

TEST_F(CommandVerify, OversizedIsRefusedBeforeAnyParsing) {
    auto b = body();
    b.args = {{"pad", std::string(wire::kCommandMaxBytes, 'x')}};
    auto v = judge("ping", county.sign(wire::encode_body(b)));
    expect_refused(v, Refusal::oversized);
    EXPECT_FALSE(v.nonce) << "nothing is read from an oversized payload";
    // 16 KiB exactly is still judged on its content.
    std::string padded = county.sign(wire::encode_body(body()));
    padded.insert(padded.size() - 1, wire::kCommandMaxBytes - padded.size(), ' ');
    ASSERT_EQ(padded.size(), wire::kCommandMaxBytes);
    EXPECT_TRUE(judge("ping", padded).accepted());
}

TEST_F(CommandVerify, GarbageIsMalformedAndHasNoNonce) {
    for (const std::string& garbage :
         {std::string(), std::string("\x00\xff\xfe", 3), std::string("{\"key\":"),
          std::string("[1,2,3]"), std::string(R"({"key":"county-1","sig":"x","body":"{}"})"),
          std::string(R"({"key":"county-1","sig":"x","body":"not json"})")}) {
        auto v = judge("ping", garbage);
        expect_refused(v, Refusal::malformed);
        EXPECT_FALSE(v.nonce) << garbage;
    }
}

TEST_F(CommandVerify, MalformedBodyStillGivesItsNonceToTheReply) {
    auto j = nlohmann::json::parse(wire::encode_body(body()));
    j.erase("issued");
    auto v = judge("ping", county.sign(j.dump()));
    expect_refused(v, Refusal::malformed);
    EXPECT_EQ(v.nonce, "n0nce-0123456789abcdef");
}

TEST_F(CommandVerify, AnotherVersionIsMalformed) {
    auto b = body();
    b.v = 2;
    expect_refused(judge(b), Refusal::malformed);
}

TEST_F(CommandVerify, EveryRefusalHasItsOwnReason) {
    std::map<std::string, int> seen;
    for (int i = 0; i < kRefusalCount; ++i)
        EXPECT_EQ(seen[std::string(reason(static_cast<Refusal>(i)))]++, 0) << i;
}

wire::CommandBody inspect_body() {
    auto b = body("inspect");
    b.args = {{"from", "2026-11-20T00:00:00Z"},
              {"to", "2026-11-21T00:00:00Z"},
              {"inspector", "Li Wei"},
              {"asset", "furnace-2"}};
    return b;
}

TEST_F(CommandVerify, AnInspectRequestOnAStickIsAccepted) {
    auto v = judge_stick(inspect_body());
    ASSERT_TRUE(v.accepted()) << reason(*v.refusal) << " " << v.detail;
    EXPECT_EQ(v.body.args.at("inspector"), "Li Wei");
    EXPECT_EQ(nonces.kept.size(), 1u);
}

TEST_F(CommandVerify, InspectOverMqttAndCommandsOnAStickAreUnknownVerbs) {
    // A stick's request published on P/cmd/inspect is not carried out over the network...
    auto v = judge(inspect_body());
    expect_refused(v, Refusal::unknown_verb);
    EXPECT_NE(v.detail.find("USB stick"), std::string::npos) << v.detail;
    // ...and a signed ping or export copied onto a stick is not an inspection.
    auto e = body("export");
    e.args = {{"from", "2026-11-20T00:00:00Z"}, {"to", "2026-11-21T00:00:00Z"}};
    expect_refused(judge("export", county.sign(wire::encode_body(e)), true, Channel::stick),
                   Refusal::unknown_verb);
    expect_refused(judge("inspect", county.sign(wire::encode_body(body())), true, Channel::stick),
                   Refusal::verb_mismatch);
}

TEST_F(CommandVerify, AStickRequestIsJudgedLikeACommand) {
    auto replay = inspect_body();
    ASSERT_TRUE(judge_stick(replay).accepted());
    auto v = judge_stick(replay);
    ASSERT_FALSE(v.accepted());
    EXPECT_EQ(*v.refusal, Refusal::replayed);
    nonces.kept.clear();

    auto expired = inspect_body();
    expired.issued = kNow - 7200000;
    expired.expires = kNow - 3600000;
    expect_refused(judge_stick(expired), Refusal::expired);
    auto other = inspect_body();
    other.gateway = "gw-002";
    expect_refused(judge_stick(other), Refusal::other_gateway);
    County forger;
    expect_refused(
        judge("inspect", forger.sign(wire::encode_body(inspect_body())), true, Channel::stick),
        Refusal::bad_signature);
}

TEST_F(CommandVerify, InspectArgsAreChecked) {
    for (const auto& [args, says] : std::vector<std::pair<nlohmann::json, std::string>>{
             {{{"from", "2026-11-20T00:00:00Z"}, {"to", "2026-11-21T00:00:00Z"}},
              "missing arg 'inspector'"},
             {{{"from", "2026-11-20T00:00:00Z"}, {"to", "2026-11-21T00:00:00Z"}, {"inspector", ""}},
              "'inspector'"},
             {{{"from", "2026-11-21T00:00:00Z"},
               {"to", "2026-11-20T00:00:00Z"},
               {"inspector", "Li"}},
              "after"},
             {{{"from", "2026-11-20T00:00:00Z"},
               {"to", "2026-11-21T00:00:00Z"},
               {"inspector", "Li"},
               {"by", "x"}},
              "unexpected arg 'by'"},
         }) {
        auto b = inspect_body();
        b.args = args;
        auto v = judge_stick(b);
        expect_refused(v, Refusal::bad_args);
        EXPECT_NE(v.detail.find(says), std::string::npos) << args.dump() << ": " << v.detail;
    }
}

TEST(CommandVerbs, NamesRoundTrip) {
    for (auto v : {Verb::ping, Verb::set_state, Verb::export_bundle, Verb::reload, Verb::inspect})
        EXPECT_EQ(parse_verb(to_string(v)), v);
    EXPECT_FALSE(parse_verb("PING"));
}
