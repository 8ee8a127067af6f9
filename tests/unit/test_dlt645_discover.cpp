// Finding the address of a lone DL/T 645 meter (dlt645/discover.hpp): the real line client
// against the simulator's DL/T 645 server on a loopback port (a transparent DTU), in this
// process. One meter answers with its address; several answer at once (noise); nobody answers.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "dlt645/discover.hpp"
#include "dlt645/line_client.hpp"
#include "profiles/catalog.hpp"
#include "sim/clock.hpp"
#include "sim/dlt645_server.hpp"
#include "sim/simulation.hpp"
#include "sim/stop.hpp"

using namespace sealwatch;
using namespace std::chrono_literals;

namespace {

const std::string kListener = R"(
[[listener]]
id = "dtu"
tcp = "127.0.0.1:0"
protocol = "dlt645"
)";

std::string meter(const std::string& id, const std::string& address, const std::string& own = "") {
    return "\n[[meter]]\nid = \"" + id + "\"\naddress = \"" + address +
           "\"\nprofile = \"dlt645-2007\"\n" + own;
}

// A DTU with the scenario's meters behind it, and the agent's line client to it.
class Dtu {
  public:
    explicit Dtu(const std::string& meters) : catalog_(profiles::Catalog::builtin()), clock_(1.0) {
        auto scenario = sim::parse_scenario(kListener + meters, "discover.toml");
        if (!scenario) throw std::runtime_error(scenario.error().front());
        if (auto p = sim::check_scenario(*scenario, catalog_); !p.empty())
            throw std::runtime_error(p.front());
        sim_ = std::make_unique<sim::Simulation>(*scenario, catalog_, 0.0);
        server_ = std::make_unique<sim::Dlt645Server>(scenario->listeners.at(0), *sim_, clock_,
                                                      stop_, false);
        if (auto ok = server_->open(); !ok) throw std::runtime_error(ok.error().message);
        thread_ = std::thread([this] { server_->run(); });
        dlt645::Timing timing;
        timing.response_timeout = 300ms;
        client_ = std::make_unique<dlt645::LineClient>(
            dlt645::TcpSettings{"127.0.0.1", server_->port()}, timing);
    }
    ~Dtu() {
        stop_.trigger();
        thread_.join();
    }
    dlt645::Client& client() { return *client_; }

  private:
    profiles::Catalog catalog_;
    sim::SimClock clock_;
    sim::StopSignal stop_;
    std::unique_ptr<sim::Simulation> sim_;
    std::unique_ptr<sim::Dlt645Server> server_;
    std::thread thread_;
    std::unique_ptr<dlt645::LineClient> client_;
};

TEST(Dlt645Discover, TheLoneMeterAnswersWithItsAddress) {
    Dtu dtu(meter("furnace", "000012345678"));
    auto address = dlt645::discover_address(dtu.client());
    ASSERT_TRUE(address) << address.error();
    EXPECT_EQ(dlt645::to_string(*address), "000012345678");
}

TEST(Dlt645Discover, SeveralMetersAnsweringAtOnceIsSaidPlainly) {
    Dtu dtu(meter("a", "000012345678") + meter("b", "000000000002"));
    auto address = dlt645::discover_address(dtu.client());
    ASSERT_FALSE(address);
    EXPECT_NE(address.error().find("several meters answering at once"), std::string::npos)
        << address.error();
}

TEST(Dlt645Discover, NobodyAnsweringIsSaidPlainly) {
    Dtu dtu(meter("dead", "000012345678", "faults = [{ no_answer = true }]\n"));
    auto address = dlt645::discover_address(dtu.client());
    ASSERT_FALSE(address);
    EXPECT_NE(address.error().find("no meter answered"), std::string::npos) << address.error();
}

TEST(Dlt645Discover, GarbageIsNoAddress) {
    Dtu dtu(meter("noisy", "000012345678", "faults = [{ garbage = true }]\n"));
    auto address = dlt645::discover_address(dtu.client());
    ASSERT_FALSE(address);
    EXPECT_NE(address.error().find("not a valid read-address reply"), std::string::npos)
        << address.error();
}

}  // namespace
