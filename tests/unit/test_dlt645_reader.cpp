// Dlt645Reader, the poller's DL/T 645 side, on an in-process line: the client below hands each
// request to the simulator's answer (the same code sealwatch-sim serves) and checks the reply
// as the real client does. A poll turns the profile's identifiers into canonical quantities;
// silence, noise and another meter's answer fail the poll; error replies are refusals.
#include <gtest/gtest.h>

#include "common/quantities.hpp"
#include "dlt645/client.hpp"
#include "dlt645/exchange.hpp"
#include "poll/dlt645_reader.hpp"
#include "profiles/catalog.hpp"
#include "sim/scenario.hpp"
#include "sim/simulation.hpp"

using namespace sealwatch;
namespace dl = sealwatch::dlt645;

namespace {

// A DL/T 645 line to the simulator at simulated time `t`, keeping the Client contract.
class SimLine final : public dl::Client {
  public:
    explicit SimLine(sim::Simulation& s) : sim_(s) {}
    tl::expected<void, dl::ExchangeError> connect() override { return {}; }
    void disconnect() override {}
    bool connected() const override { return true; }
    std::string describe() const override { return "in-process line"; }
    tl::expected<dl::Reply, dl::ExchangeError> exchange(const dl::Frame& request) override {
        ++requests;
        sim::Dlt645Decision d = sim_.answer_dlt645("line", request, t);
        using K = sim::Dlt645Decision::Kind;
        if (d.kind == K::nobody || d.kind == K::silent)
            return tl::unexpected(dl::ExchangeError{dl::ErrorKind::timeout, "no reply"});
        dl::StreamDecoder decoder;
        decoder.feed(d.bytes);
        auto frame = decoder.next();
        if (!frame)
            return tl::unexpected(dl::ExchangeError{dl::ErrorKind::bad_frame, "no valid frame"});
        auto reply = dl::check_reply(request, *frame);
        if (!reply)
            return tl::unexpected(
                dl::ExchangeError{dl::ErrorKind::bad_frame, std::string(to_string(reply.error()))});
        return *reply;
    }
    double t = 1;
    int requests = 0;

  private:
    sim::Simulation& sim_;
};

const char* kScenario = R"(
[[listener]]
id = "line"
rtu = "/dev/null"
protocol = "dlt645"

[[meter]]
id = "m"
address = "000012345678"
profile = "dlt645-2007"
u_v = 231.4
program = [{ at = "0s", p_w = -2500 }]
faults = [
  { no_answer = true, from = "10s", until = "20s" },
  { garbage = true, from = "20s", until = "30s" },
  { wrong_address = true, from = "30s", until = "40s" },
  { exception = 1, from = "40s", until = "50s" },
]
)";

struct Fixture {
    profiles::Catalog catalog = profiles::Catalog::builtin();
    sim::Scenario scenario = sim::parse_scenario(kScenario, "r.toml").value();
    sim::Simulation simulation{scenario, catalog};
    SimLine line{simulation};
    poll::Dlt645Reader reader{line};
    poll::MeterPlan plan;

    Fixture() {
        plan.meter.id = "m";
        plan.meter.address = "000012345678";
        plan.profile = *catalog.find("dlt645-2007");
        plan.address = dl::parse_address(plan.meter.address).value();
    }

    std::optional<double> value(const poll::MeterRead& r, std::string_view q) {
        for (const auto& v : r.values)
            if (v.quantity == find_quantity(q)) return v.value;
        return std::nullopt;
    }
};

}  // namespace

TEST(Dlt645Reader, OnePollReadsEveryIdentifierOnce) {
    Fixture f;
    auto r = f.reader.read(f.plan, true);
    EXPECT_EQ(r.outcome, poll::Outcome::ok) << r.reason;
    EXPECT_EQ(f.line.requests, static_cast<int>(f.plan.profile.identifiers.fields.size()));
    EXPECT_EQ(r.values.size(), f.plan.profile.identifiers.fields.size());
    EXPECT_EQ(f.value(r, "u_l3_v"), 231.4);
    EXPECT_EQ(f.value(r, "p_w"), -2500);  // exporting: the sign bit
    EXPECT_FALSE(r.serial);               // the address is the identity
}

TEST(Dlt645Reader, SilenceNoiseAndImpostorsFailThePoll) {
    Fixture f;
    for (double t : {15.0, 25.0, 35.0}) {
        f.line.t = t;
        f.line.requests = 0;
        auto r = f.reader.read(f.plan, false);
        EXPECT_EQ(r.outcome, poll::Outcome::failed) << t;
        EXPECT_TRUE(r.values.empty()) << t;
        EXPECT_EQ(f.line.requests, 1) << "one failure ends the poll, at " << t;
    }
    f.line.t = 35;
    EXPECT_NE(f.reader.read(f.plan, false).reason.find("another address"), std::string::npos);
}

TEST(Dlt645Reader, ErrorRepliesAreRefusals) {
    Fixture f;
    f.line.t = 45;
    auto r = f.reader.read(f.plan, false);
    EXPECT_EQ(r.outcome, poll::Outcome::refused);
    EXPECT_TRUE(r.values.empty());
    EXPECT_NE(r.reason.find("error reply to "), std::string::npos) << r.reason;
    // A profile naming an identifier the meter lacks: the others still make a good poll.
    f.line.t = 1;
    f.plan.profile.identifiers.fields.push_back({"thd_u_l1_pct", 0x020A0101, 2, 2, false});
    r = f.reader.read(f.plan, false);
    EXPECT_EQ(r.outcome, poll::Outcome::ok);
    EXPECT_EQ(r.values.size(), f.plan.profile.identifiers.fields.size() - 1);
}
