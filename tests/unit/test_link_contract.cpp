// The uplink::Link contract (uplink/link.hpp), one suite run against both implementations:
// MqttLink talking to a real mosquitto that the test starts on a loopback port, and the
// scripted fake the uplink tests use (tests/support/fake_link.hpp). What the uplink tests
// assume of the fake is checked here against the real thing.
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "support/fake_link.hpp"
#include "support/mosquitto.hpp"
#include "uplink/mqtt_link.hpp"

using namespace sealwatch;
using namespace std::chrono_literals;
using uplink::LinkNote;

namespace {

// Notes as they arrive (from the network thread for MqttLink), taken in order by the test.
class Notes {
  public:
    void push(const LinkNote& n) {
        {
            std::lock_guard lock(mu_);
            notes_.push_back(n);
            all_.push_back(n);
        }
        cv_.notify_all();
    }
    // The first note of that kind (and mid, for acked) within `timeout`; the notes before it
    // are taken too.
    std::optional<LinkNote> take(LinkNote::Kind kind, std::chrono::milliseconds timeout,
                                 int mid = 0) {
        std::unique_lock lock(mu_);
        std::optional<LinkNote> found;
        cv_.wait_for(lock, timeout, [&] {
            while (!notes_.empty()) {
                LinkNote n = notes_.front();
                notes_.pop_front();
                if (n.kind == kind && (kind != LinkNote::Kind::acked || n.mid == mid)) {
                    found = n;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    // How often mid was reported acked, taken or not.
    size_t count_acked(int mid) {
        std::lock_guard lock(mu_);
        size_t n = 0;
        for (const auto& x : all_) n += x.kind == LinkNote::Kind::acked && x.mid == mid;
        return n;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<LinkNote> notes_;
    std::vector<LinkNote> all_;
};

// A link and a broker the test can stop, freeze and bring back.
class Bench {
  public:
    virtual ~Bench() = default;
    virtual uplink::Link& link() = 0;
    virtual void start() = 0;           // the link starts and the broker takes it
    virtual void broker_acks() = 0;     // a real broker acknowledges by itself
    virtual void stop_broker() = 0;     // the broker goes away; the connection is lost
    virtual void freeze_broker() = 0;   // the broker answers nothing from now on
    virtual void restart_broker() = 0;  // the broker is back; the link reconnects
    Notes notes;
};

class MosquittoBench final : public Bench {
  public:
    explicit MosquittoBench(std::string& problem) {
        problem = broker_.start();
        uplink::LinkSettings s;
        s.host = "127.0.0.1";
        s.port = broker_.port();
        s.client_id = "sealwatch-contract-" + std::to_string(::getpid());
        s.keepalive_s = 5;
        s.status_topic = "sealwatch/contract/status";
        s.status_payload = [](bool online) { return std::string(online ? "online" : "offline"); };
        s.backoff_min_ms = 50;
        s.backoff_max_ms = 200;
        link_ = std::make_unique<uplink::MqttLink>(s, [this](const LinkNote& n) { notes.push(n); });
    }
    uplink::Link& link() override { return *link_; }
    void start() override { ASSERT_TRUE(link_->start()); }
    void broker_acks() override {}
    void stop_broker() override { broker_.stop(); }
    void freeze_broker() override { broker_.freeze(); }
    void restart_broker() override {
        broker_.kill();  // a frozen broker is ended first
        ASSERT_EQ(broker_.start(), "");
    }

  private:
    test_support::Mosquitto broker_;
    std::unique_ptr<uplink::MqttLink> link_;
};

class FakeBench final : public Bench {
  public:
    FakeBench() : link_([this](const LinkNote& n) { notes.push(n); }) {}
    uplink::Link& link() override { return link_; }
    void start() override { link_.accept(); }
    void broker_acks() override {
        if (!frozen_) link_.ack_all();
    }
    void stop_broker() override { link_.drop(); }
    void freeze_broker() override { frozen_ = true; }
    void restart_broker() override {
        frozen_ = false;
        link_.drop();
        link_.accept();
    }

  private:
    test_support::FakeLink link_;
    bool frozen_ = false;
};

constexpr auto kWait = 10s;  // generous: a loaded CI machine; the fake never waits

class LinkContract : public testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        if (GetParam() == "fake") {
            bench_ = std::make_unique<FakeBench>();
            return;
        }
        if (test_support::Mosquitto::find_program().empty()) {
            const char* ci = std::getenv("CI");
            if (ci && std::string(ci) == "true")
                FAIL() << "mosquitto is not installed (needed in CI: apt install mosquitto)";
            GTEST_SKIP() << "mosquitto is not installed";
        }
        std::string problem;
        bench_ = std::make_unique<MosquittoBench>(problem);
        ASSERT_EQ(problem, "");
    }

    // Starts and waits for the broker's acceptance.
    void connect() {
        bench_->start();
        ASSERT_TRUE(bench_->notes.take(LinkNote::Kind::connected, kWait));
        ASSERT_TRUE(bench_->link().connected());
    }
    int publish(const std::string& payload) {
        auto mid = bench_->link().publish("sealwatch/contract/t", payload, false);
        EXPECT_TRUE(mid) << mid.error().message;
        return mid ? *mid : -1;
    }

    std::unique_ptr<Bench> bench_;
};

TEST_P(LinkContract, ConnectsAndSaysSo) {
    EXPECT_FALSE(bench_->link().connected());
    connect();
}

TEST_P(LinkContract, EachPublishIsAckedOnceWithItsMessageId) {
    connect();
    std::set<int> mids;
    for (int i = 0; i < 3; ++i) mids.insert(publish("m" + std::to_string(i)));
    ASSERT_EQ(mids.size(), 3u);  // distinct ids
    bench_->broker_acks();
    for (int mid : mids) EXPECT_TRUE(bench_->notes.take(LinkNote::Kind::acked, kWait, mid)) << mid;
    std::this_thread::sleep_for(100ms);  // room for a second PUBACK report, if one were coming
    for (int mid : mids) EXPECT_EQ(bench_->notes.count_acked(mid), 1u) << mid;
}

TEST_P(LinkContract, LostBrokerIsADisconnectAndTheReconnectSaysConnectedAgain) {
    connect();
    bench_->stop_broker();
    ASSERT_TRUE(bench_->notes.take(LinkNote::Kind::disconnected, kWait));
    EXPECT_FALSE(bench_->link().connected());
    bench_->restart_broker();
    ASSERT_TRUE(bench_->notes.take(LinkNote::Kind::connected, kWait));
    EXPECT_TRUE(bench_->link().connected());
    int mid = publish("after");
    bench_->broker_acks();
    EXPECT_TRUE(bench_->notes.take(LinkNote::Kind::acked, kWait, mid));
}

TEST_P(LinkContract, MessageInFlightAtADisconnectIsDeliveredByTheLinkAfterTheReconnect) {
    connect();
    bench_->freeze_broker();
    int mid = publish("in flight");  // reaches the broker's socket; no PUBACK comes
    bench_->broker_acks();
    EXPECT_FALSE(bench_->notes.take(LinkNote::Kind::acked, 300ms, mid));
    bench_->restart_broker();  // the frozen broker dies; a new one takes the reconnect
    ASSERT_TRUE(bench_->notes.take(LinkNote::Kind::connected, kWait));
    bench_->broker_acks();
    // Not handed over again by the caller: the link sends it and reports its PUBACK.
    EXPECT_TRUE(bench_->notes.take(LinkNote::Kind::acked, kWait, mid));
}

TEST_P(LinkContract, PublishWhileDisconnectedFails) {
    connect();
    bench_->stop_broker();
    ASSERT_TRUE(bench_->notes.take(LinkNote::Kind::disconnected, kWait));
    EXPECT_FALSE(bench_->link().publish("sealwatch/contract/t", "while away", false));
    bench_->restart_broker();
    ASSERT_TRUE(bench_->notes.take(LinkNote::Kind::connected, kWait));
}

INSTANTIATE_TEST_SUITE_P(BothLinks, LinkContract, testing::Values("mosquitto", "fake"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
