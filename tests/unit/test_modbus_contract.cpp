// The modbus::Client contract (modbus/client.hpp), one suite run against every implementation:
// the libmodbus client talking Modbus TCP to the simulator's server in this process, the RTU
// over TCP client talking to the same server as a DTU (RTU framing), and the scripted fake the
// poller tests use (tests/support/fake_modbus.hpp). What the poller tests assume of the fake is
// checked here against the real things.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "modbus/libmodbus_client.hpp"
#include "modbus/rtu_tcp_client.hpp"
#include "profiles/catalog.hpp"
#include "sim/clock.hpp"
#include "sim/simulation.hpp"
#include "sim/stop.hpp"
#include "sim/tcp_server.hpp"
#include "support/fake_modbus.hpp"

using namespace sealwatch;
using namespace std::chrono_literals;

namespace {

// The meters on the bus, by unit: what each does to every request.
constexpr int kAnswers = 1;  // eastron-sdm630 with serial 42
constexpr int kSilent = 2;
constexpr int kRefuses = 3;  // exception 6 (slave device busy)
constexpr int kSlow = 4;     // answers after kSlowAnswer
constexpr int kGarbles = 5;

constexpr uint16_t kSerialAddress = 0xFC00;  // eastron-sdm630: u32 in holding registers
constexpr auto kTimeout = 400ms;
constexpr auto kSlowAnswer = 150ms;

const char* const kScenario = R"(
[[listener]]
id = "lan"
tcp = "127.0.0.1:0"

[[meter]]
id = "answers"
unit = 1
profile = "eastron-sdm630"
serial = 42

[[meter]]
id = "silent"
unit = 2
profile = "eastron-sdm630"
faults = [{ no_answer = true, from = "0s" }]

[[meter]]
id = "refuses"
unit = 3
profile = "eastron-sdm630"
faults = [{ exception = 6, from = "0s" }]

[[meter]]
id = "slow"
unit = 4
profile = "eastron-sdm630"
serial = 7
faults = [{ slow_ms = 150, from = "0s" }]

[[meter]]
id = "garbles"
unit = 5
profile = "eastron-sdm630"
faults = [{ corrupt_crc = true, from = "0s" }]
)";

// A client and a far end the test can take away and bring back.
class Bench {
  public:
    virtual ~Bench() = default;
    virtual modbus::Client& client() = 0;
    virtual const Clock& clock() const = 0;  // the time the client spends
    virtual void stop_far_end() = 0;
    virtual void restart_far_end() = 0;
};

// A real client and the simulator's TCP server on a loopback port: the libmodbus client with
// Modbus TCP, or the RTU over TCP client with the server framing RTU, as a DTU does.
class SimBench final : public Bench {
  public:
    explicit SimBench(bool rtu_over_tcp) : catalog_(profiles::Catalog::builtin()), sim_clock_(1.0) {
        auto scenario = sim::parse_scenario(kScenario, "contract.toml");
        if (!scenario) throw std::runtime_error("scenario does not parse");
        if (!sim::check_scenario(*scenario, catalog_).empty())
            throw std::runtime_error("scenario does not check");
        spec_ = scenario->listeners.at(0);
        spec_.rtu_over_tcp = rtu_over_tcp;
        sim_ = std::make_unique<sim::Simulation>(*scenario, catalog_, 0.0);
        restart_far_end();
        modbus::LinkOptions options;
        options.response_timeout = kTimeout;
        if (rtu_over_tcp)
            client_ = std::make_unique<modbus::RtuTcpClient>(
                modbus::RtuTcpLink{"127.0.0.1", spec_.port}, options);
        else
            client_ = std::make_unique<modbus::LibmodbusClient>(
                modbus::TcpLink{"127.0.0.1", spec_.port}, options);
    }
    ~SimBench() override { stop_far_end(); }

    modbus::Client& client() override { return *client_; }
    const Clock& clock() const override { return system_clock(); }

    void stop_far_end() override {
        if (!server_) return;
        stop_->trigger();
        thread_.join();
        server_.reset();  // closes the listening socket and every connection
        stop_.reset();
    }
    // On the same port as before (port 0 the first time: a free one).
    void restart_far_end() override {
        stop_ = std::make_unique<sim::StopSignal>();
        server_ = std::make_unique<sim::TcpServer>(spec_, *sim_, sim_clock_, *stop_, false);
        if (auto ok = server_->open(); !ok) throw std::runtime_error(ok.error().message);
        spec_.port = server_->port();
        thread_ = std::thread([server = server_.get()] { server->run(); });
    }

  private:
    profiles::Catalog catalog_;
    sim::SimClock sim_clock_;
    sim::ListenerSpec spec_;
    std::unique_ptr<sim::Simulation> sim_;
    std::unique_ptr<sim::StopSignal> stop_;
    std::unique_ptr<sim::TcpServer> server_;
    std::thread thread_;
    std::unique_ptr<modbus::Client> client_;
};

// The fake, scripted to be the same bus.
class FakeBench final : public Bench {
  public:
    FakeBench() : fake_(clock_, kTimeout) {
        fake_.set_registers(kAnswers, modbus::Table::holding, kSerialAddress, {0, 42});
        fake_.unit(kSilent).silent = true;
        fake_.unit(kRefuses).exception = 6;
        fake_.set_registers(kSlow, modbus::Table::holding, kSerialAddress, {0, 7});
        fake_.unit(kSlow).latency = kSlowAnswer;
        fake_.unit(kGarbles).garbled = true;
    }
    modbus::Client& client() override { return fake_; }
    const Clock& clock() const override { return clock_; }
    void stop_far_end() override { fake_.cut_link(); }
    void restart_far_end() override { fake_.restore_link(); }

  private:
    test_support::ManualClock clock_;
    test_support::FakeModbus fake_;
};

class ModbusContract : public testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        if (GetParam() == "libmodbus")
            bench_ = std::make_unique<SimBench>(false);
        else if (GetParam() == "rtu_over_tcp")
            bench_ = std::make_unique<SimBench>(true);
        else
            bench_ = std::make_unique<FakeBench>();
    }

    tl::expected<std::vector<uint16_t>, modbus::ReadError> read_serial(int unit) {
        return bench_->client().read(unit, modbus::Table::holding, kSerialAddress, 2);
    }
    std::chrono::nanoseconds since(MonoNs start) const {
        return std::chrono::nanoseconds(bench_->clock().mono_ns() - start);
    }

    std::unique_ptr<Bench> bench_;
};

TEST_P(ModbusContract, ReadsConnectingFirst) {
    auto& client = bench_->client();
    EXPECT_FALSE(client.connected());
    auto words = read_serial(kAnswers);
    ASSERT_TRUE(words) << words.error().message;
    EXPECT_EQ(*words, (std::vector<uint16_t>{0, 42}));
    EXPECT_TRUE(client.connected());
    EXPECT_FALSE(client.describe().empty());
}

TEST_P(ModbusContract, SilentUnitTimesOutAfterTheResponseTimeoutAndStaysConnected) {
    ASSERT_TRUE(bench_->client().connect());
    MonoNs start = bench_->clock().mono_ns();
    auto words = read_serial(kSilent);
    ASSERT_FALSE(words);
    EXPECT_EQ(words.error().kind, modbus::ErrorKind::timeout);
    EXPECT_GE(since(start), kTimeout);
    EXPECT_TRUE(bench_->client().connected());
    EXPECT_TRUE(read_serial(kAnswers));  // the line is in step for the next meter
}

TEST_P(ModbusContract, ExceptionComesBackWithItsCodeAndStaysConnected) {
    auto words = read_serial(kRefuses);
    ASSERT_FALSE(words);
    EXPECT_EQ(words.error().kind, modbus::ErrorKind::exception);
    EXPECT_EQ(words.error().exception_code, 6);
    EXPECT_TRUE(bench_->client().connected());
    EXPECT_TRUE(read_serial(kAnswers));
}

TEST_P(ModbusContract, SlowAnswerTakesItsTimeWithinTheTimeout) {
    MonoNs start = bench_->clock().mono_ns();
    auto words = read_serial(kSlow);
    ASSERT_TRUE(words) << words.error().message;
    EXPECT_EQ(*words, (std::vector<uint16_t>{0, 7}));
    EXPECT_GE(since(start), kSlowAnswer);
    EXPECT_LT(since(start), kTimeout);
}

TEST_P(ModbusContract, GarbledAnswerIsABadFrameAndATcpClientStartsAfresh) {
    auto words = read_serial(kGarbles);
    ASSERT_FALSE(words);
    EXPECT_EQ(words.error().kind, modbus::ErrorKind::bad_frame);
    EXPECT_FALSE(bench_->client().connected());
    EXPECT_TRUE(read_serial(kAnswers));  // reconnects
    EXPECT_TRUE(bench_->client().connected());
}

TEST_P(ModbusContract, LostFarEndIsALinkErrorUntilItIsBack) {
    ASSERT_TRUE(read_serial(kAnswers));
    bench_->stop_far_end();
    auto lost = read_serial(kAnswers);
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().kind, modbus::ErrorKind::link);
    EXPECT_FALSE(bench_->client().connected());
    auto refused = read_serial(kAnswers);  // connecting again fails while it is away
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, modbus::ErrorKind::link);
    EXPECT_FALSE(bench_->client().connect());

    bench_->restart_far_end();
    auto back = read_serial(kAnswers);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, (std::vector<uint16_t>{0, 42}));
    EXPECT_TRUE(bench_->client().connected());
}

TEST_P(ModbusContract, DisconnectThenReadReconnects) {
    ASSERT_TRUE(read_serial(kAnswers));
    bench_->client().disconnect();
    EXPECT_FALSE(bench_->client().connected());
    EXPECT_TRUE(read_serial(kAnswers));
    EXPECT_TRUE(bench_->client().connected());
}

TEST_P(ModbusContract, CountOutOfRangeIsRefusedWithoutARequest) {
    for (uint16_t count : {uint16_t{0}, uint16_t{modbus::kMaxReadRegisters + 1}}) {
        auto words = bench_->client().read(kAnswers, modbus::Table::holding, 0, count);
        ASSERT_FALSE(words);
        EXPECT_EQ(words.error().kind, modbus::ErrorKind::link);
    }
    EXPECT_FALSE(bench_->client().connected());  // not even a connect
}

INSTANTIATE_TEST_SUITE_P(EveryClient, ModbusContract,
                         testing::Values("libmodbus", "rtu_over_tcp", "fake"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
