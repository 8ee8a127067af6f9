// sealwatch-sim as a DL/T 645 line: the scenario's DL/T 645 listeners and meters (address,
// event family, scripted event counts, the line's faults), the checks that tie them to their
// profile, and what a meter answers at a moment of simulated time (no sleeps, no sockets).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dlt645/bcd.hpp"
#include "dlt645/data_map.hpp"
#include "dlt645/exchange.hpp"
#include "dlt645/frame.hpp"
#include "profiles/catalog.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

using namespace sealwatch;
using namespace sealwatch::sim;
namespace dl = sealwatch::dlt645;

namespace {

const char* kScenario = R"(
[[listener]]
id = "line"
rtu = "/dev/null"
protocol = "dlt645"

[[listener]]
id = "lan"
tcp = "127.0.0.1:0"

[[meter]]
id = "furnace"
address = "000012345678"
profile = "dlt645-2007"
program = [{ at = "0s", p_w = 12345.6 }]
u_v = 220.1
faults = [
  { meter_event = "meter_cover_opened", at = "10s" },
  { meter_event = "meter_cover_opened", what = "terminal cover opened", at = "12s" },
  { meter_event = "meter_power_loss", at = "20s" },
  { meter_event = "meter_power_loss", at = "21s" },
  { meter_event = "meter_phase_failure", at = "30s" },
  { no_answer = true, from = "100s", until = "110s" },
  { garbage = true, from = "110s", until = "120s" },
  { wrong_address = true, from = "120s", until = "130s" },
  { corrupt_crc = true, from = "130s", until = "140s" },
  { exception = 1, from = "140s", until = "150s" },
]

[[meter]]
id = "grid"
address = "000000000002"
profile = "dlt645-2007"
event_family = "state-grid"
faults = [{ meter_event = "meter_phase_failure", at = "5s" }]

[[meter]]
id = "modbus"
unit = 1
profile = "eastron-sdm630"
)";

const dl::Address kFurnace{0x78, 0x56, 0x34, 0x12, 0x00, 0x00};
const dl::Address kGrid{0x02, 0x00, 0x00, 0x00, 0x00, 0x00};

struct Fixture {
    profiles::Catalog catalog = profiles::Catalog::builtin();
    Scenario scenario;
    std::unique_ptr<Simulation> sim;

    Fixture() {
        auto s = parse_scenario(kScenario, "d.toml");
        EXPECT_TRUE(s) << (s ? "" : s.error()[0]);
        scenario = *s;
        const auto problems = check_scenario(scenario, catalog);
        EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0]);
        sim = std::make_unique<Simulation>(scenario, catalog, 0.0);
    }

    // The reply to a read of `id` at `t`, checked as the agent checks it.
    tl::expected<dl::Reply, dl::ReplyProblem> read(const dl::Address& a, dl::DataId id, double t) {
        const dl::Frame request = dl::read_request(a, id);
        Dlt645Decision d = sim->answer_dlt645("line", request, t);
        EXPECT_EQ(d.kind, Dlt645Decision::Kind::reply);
        auto frame = dl::decode(d.bytes);
        EXPECT_TRUE(frame);
        if (!frame) return tl::unexpected(dl::ReplyProblem::short_data);
        return dl::check_reply(request, *frame);
    }
};

const dl::Field& field(const std::string& q) {
    static const auto catalog = profiles::Catalog::builtin();
    for (const auto& f : catalog.find("dlt645-2007")->identifiers.fields)
        if (f.quantity == q) return f;
    std::abort();
}

uint64_t count_of(const tl::expected<dl::Reply, dl::ReplyProblem>& r) {
    EXPECT_TRUE(r);
    if (!r || r->value.size() < dl::kCountBytes) return 0;
    auto n = dl::decode_bcd(std::span(r->value).first(dl::kCountBytes), false);
    return n ? static_cast<uint64_t>(*n) : 0;
}

}  // namespace

TEST(SimDlt645, ServesTheProfilesIdentifiers) {
    Fixture f;
    auto r = f.read(kFurnace, 0x02010100, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(dl::field_value(field("u_l1_v"), r->value), 220.1);
    r = f.read(kFurnace, 0x02030000, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(dl::field_value(field("p_w"), r->value), 12345.6);
    r = f.read(kFurnace, 0x00010000, 3600);
    ASSERT_TRUE(r);
    EXPECT_NEAR(*dl::field_value(field("e_imp_kwh"), r->value), 12.35, 0.011);
    // An identifier the profile does not have: "no such data", not silence.
    r = f.read(kFurnace, 0x04000101, 1);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->refused);
    EXPECT_EQ(r->error, dl::error_bit::kNoSuchData);
}

TEST(SimDlt645, EventCountsAdvanceWhenTheScenarioSays) {
    Fixture f;
    EXPECT_EQ(count_of(f.read(kFurnace, 0x03300D00, 9)), 0u);
    EXPECT_EQ(count_of(f.read(kFurnace, 0x03300D00, 10)), 1u);
    EXPECT_EQ(count_of(f.read(kFurnace, 0x03300E00, 11)), 0u);
    EXPECT_EQ(count_of(f.read(kFurnace, 0x03300E00, 12)), 1u);
    EXPECT_EQ(count_of(f.read(kFurnace, 0x03110000, 25)), 2u);
    // Table A.4 family: the phase block counts A at offset 0.
    auto block = f.read(kFurnace, 0x03010000, 31);
    ASSERT_TRUE(block);
    ASSERT_EQ(block->value.size(), 18u);
    EXPECT_EQ(block->value[0], 0x01);
    // The other family's identifiers are "no such data" for this meter...
    auto sg = f.read(kFurnace, 0x10010001, 31);
    ASSERT_TRUE(sg);
    EXPECT_TRUE(sg->refused);
    // ... and the A.4 blocks for a State Grid meter, whose own per-phase count advanced.
    auto a4 = f.read(kGrid, 0x03010000, 6);
    ASSERT_TRUE(a4);
    EXPECT_TRUE(a4->refused);
    EXPECT_EQ(count_of(f.read(kGrid, 0x10010001, 6)), 1u);
    EXPECT_EQ(count_of(f.read(kGrid, 0x10020001, 6)), 0u);
}

TEST(SimDlt645, AddressingAsOnARealLine) {
    Fixture f;
    // Nobody at that address, and no DL/T 645 meter on a Modbus listener.
    const dl::Address nobody{0x99, 0, 0, 0, 0, 0};
    EXPECT_EQ(f.sim->answer_dlt645("line", dl::read_request(nobody, 0x02010100), 1).kind,
              Dlt645Decision::Kind::nobody);
    EXPECT_EQ(f.sim->answer_dlt645("lan", dl::read_request(kFurnace, 0x02010100), 1).kind,
              Dlt645Decision::Kind::nobody);
    // Two meters answer the wildcard at once: noise.
    auto d = f.sim->answer_dlt645("line", dl::read_address_request(), 1);
    EXPECT_EQ(d.kind, Dlt645Decision::Kind::garbage);
    EXPECT_FALSE(dl::decode(d.bytes));
}

TEST(SimDlt645, FaultsOfTheLine) {
    Fixture f;
    const dl::Frame request = dl::read_request(kFurnace, 0x02010100);
    EXPECT_EQ(f.sim->answer_dlt645("line", request, 105).kind, Dlt645Decision::Kind::silent);

    auto d = f.sim->answer_dlt645("line", request, 115);
    EXPECT_EQ(d.kind, Dlt645Decision::Kind::garbage);
    dl::StreamDecoder s;
    s.feed(d.bytes);
    EXPECT_FALSE(s.next());

    d = f.sim->answer_dlt645("line", request, 125);
    ASSERT_EQ(d.kind, Dlt645Decision::Kind::reply);
    EXPECT_EQ(dl::check_reply(request, dl::decode(d.bytes).value()).error(),
              dl::ReplyProblem::other_address);

    d = f.sim->answer_dlt645("line", request, 135);
    EXPECT_EQ(dl::decode(d.bytes).error(), dl::FrameProblem::bad_checksum);

    d = f.sim->answer_dlt645("line", request, 145);
    auto r = dl::check_reply(request, dl::decode(d.bytes).value());
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->refused);

    EXPECT_EQ(f.sim->answer_dlt645("line", request, 155).kind, Dlt645Decision::Kind::reply);
}

TEST(SimDlt645, TheAloneMeterTellsItsAddress) {
    const char* text = R"(
[[listener]]
id = "line"
tcp = "127.0.0.1:0"
protocol = "dlt645"

[[meter]]
address = "000012345678"
profile = "dlt645-2007"
)";
    auto s = parse_scenario(text, "a.toml");
    ASSERT_TRUE(s);
    auto catalog = profiles::Catalog::builtin();
    ASSERT_TRUE(check_scenario(*s, catalog).empty());
    EXPECT_EQ(s->meters[0].id, "000012345678");
    EXPECT_EQ(s->listeners[0].baud, 2400);
    EXPECT_EQ(s->listeners[0].parity, 'E');
    Simulation sim(*s, catalog, 0.0);
    const dl::Frame request = dl::read_address_request();
    auto d = sim.answer_dlt645("line", request, 1);
    ASSERT_EQ(d.kind, Dlt645Decision::Kind::reply);
    auto r = dl::check_reply(request, dl::decode(d.bytes).value());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->value, std::vector<uint8_t>(kFurnace.begin(), kFurnace.end()));
}

TEST(SimDlt645, ScenarioProblems) {
    auto catalog = profiles::Catalog::builtin();
    auto problems = [&](const std::string& text) {
        auto s = parse_scenario(text, "p.toml");
        if (!s) return s.error();
        return check_scenario(*s, catalog);
    };
    const std::string line =
        "[[listener]]\nid = \"line\"\nrtu = \"/dev/null\"\n"
        "protocol = \"dlt645\"\n";
    auto p = problems(line + "[[meter]]\naddress = \"12345\"\nprofile = \"dlt645-2007\"\n");
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p[0], "p.toml:6: 'address' in [[meter]] must be 12 digits, e.g. \"000012345678\"");
    p = problems(line + "[[meter]]\naddress = \"000000000001\"\nprofile = \"eastron-sdm630\"\n");
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("profile 'eastron-sdm630' is a modbus profile, which needs a unit"),
              std::string::npos)
        << p[0];
    p = problems(line + "[[meter]]\nunit = 1\nprofile = \"dlt645-2007\"\n");
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("profile 'dlt645-2007' is a dlt645 profile, which needs an address"),
              std::string::npos)
        << p[0];
    EXPECT_NE(p.back().find("no modbus listener serves it"), std::string::npos) << p.back();
    p = problems(line +
                 "[[meter]]\naddress = \"000000000001\"\nprofile = \"dlt645-2007\"\n"
                 "faults = [{ meter_event = \"meter_opened\", at = \"1s\" }]\n");
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("counts no 'meter_opened'"), std::string::npos) << p[0];
    p = problems(line +
                 "[[meter]]\naddress = \"000000000001\"\nprofile = \"dlt645-2007\"\n"
                 "event_family = \"nine\"\n");
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("has no event family 'nine'"), std::string::npos) << p[0];
    p = problems(
        "[[listener]]\nid = \"l\"\ntcp = \"127.0.0.1:0\"\n[[meter]]\nunit = 1\n"
        "profile = \"eastron-sdm630\"\nfaults = [{ garbage = true }]\n");
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("garbage and wrong_address are faults of DL/T 645 meters"),
              std::string::npos)
        << p[0];
    p = problems(line +
                 "[[meter]]\naddress = \"000000000001\"\nprofile = \"dlt645-2007\"\n"
                 "[[meter]]\nid = \"b\"\naddress = \"000000000001\"\n"
                 "profile = \"dlt645-2007\"\n");
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("both use address 000000000001 on listener 'line'"), std::string::npos)
        << p[0];
}
