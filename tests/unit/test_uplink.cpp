// The uplink pump on a real store (SQLite in a temporary folder) and the fake link, the test
// playing the broker: the in-flight window, acknowledgements, a reconnect, a restart's resend.
// Time is the pump's parameter; nothing sleeps.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "support/fake_link.hpp"
#include "test_support.hpp"
#include "uplink/uplink.hpp"

using namespace sealwatch;
using test_support::FakeLink;
using test_support::reading;
using test_support::TempDir;

namespace {

constexpr WallMs kNow = 1795298400000;  // every reading below is older than the batch delay

class UplinkTest : public testing::Test {
  protected:
    UplinkTest() { reopen(); }

    // As after a process restart: a new store object on the same file, a new link, a new pump.
    void reopen() {
        uplink_.reset();
        link_.reset();
        store_.reset();
        auto s = store::Store::open(dir_.db(), {});
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::make_unique<store::Store>(std::move(*s));
        // The notes go straight to the pump, as the agent's queue hands them on its thread.
        link_ = std::make_unique<FakeLink>([this](const uplink::LinkNote& n) {
            if (uplink_) uplink_->on_note(n);
        });
        uplink::PumpOptions o;
        o.batch_max_readings = 5;
        o.batch_max_delay_ms = 1000;
        o.window = 4;
        uplink_ = std::make_unique<uplink::Uplink>(*store_, *link_, topics_, o);
    }

    // n readings of m1, one a second, from `from` on.
    void add_readings(int n, WallMs from = kNow - 3600000) {
        std::vector<Reading> batch;
        batch.reserve(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i)
            batch.push_back(reading("m1", from + WallMs{i} * 1000, 100 + i, 10));
        ASSERT_TRUE(store_->append_readings(batch));
    }

    void pump(WallMs now = kNow) {
        auto r = uplink_->pump(now);
        ASSERT_TRUE(r) << r.error().message;
    }

    static uint64_t seq_of(const FakeLink::Message& m) {
        return nlohmann::json::parse(m.payload).at("seq").get<uint64_t>();
    }
    std::vector<uint64_t> published_seqs() const {
        std::vector<uint64_t> seqs;
        for (const auto& m : link_->published()) seqs.push_back(seq_of(m));
        return seqs;
    }
    int64_t unacked_in_store() {
        auto b = store_->backlog();
        EXPECT_TRUE(b);
        return b ? b->unacked_messages : -1;
    }

    TempDir dir_;
    wire::Topics topics_ = wire::Topics::for_gateway("sealwatch", "site-a", "gw1");
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<FakeLink> link_;
    std::unique_ptr<uplink::Uplink> uplink_;
};

TEST_F(UplinkTest, NothingIsFormedUntilTheBrokerAcceptsTheConnection) {
    add_readings(20);
    pump();
    EXPECT_TRUE(link_->published().empty());
    auto b = store_->backlog();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->next_seq, 1u);  // no seq given out for a message that cannot leave
    EXPECT_EQ(b->unsent_readings, 20);
}

TEST_F(UplinkTest, TheWindowBoundsWhatIsInFlightAndEachAckMakesRoom) {
    add_readings(50);  // ten messages of five
    link_->accept();
    pump();
    EXPECT_EQ(link_->published().size(), 4u);
    EXPECT_EQ(uplink_->in_flight(), 4u);
    pump();
    EXPECT_EQ(link_->published().size(), 4u);  // a full window waits for acknowledgements

    link_->ack(link_->published()[0].mid);
    link_->ack(link_->published()[1].mid);
    EXPECT_EQ(uplink_->in_flight(), 2u);
    pump();
    EXPECT_EQ(link_->published().size(), 6u);
    EXPECT_EQ(uplink_->in_flight(), 4u);

    for (int i = 0; i < 10 && uplink_->in_flight() > 0; ++i) {
        link_->ack_all();
        pump();
    }
    pump(kNow + uplink::Uplink::kAckHoldMs);  // the last acknowledgements, held alone
    EXPECT_EQ(published_seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    for (const auto& m : link_->published()) {
        EXPECT_EQ(m.topic, topics_.telemetry);
        EXPECT_FALSE(m.retain);
    }
    EXPECT_EQ(unacked_in_store(), 0);  // every acknowledged message left the outbox
}

TEST_F(UplinkTest, AcknowledgementsRideOnTheNextCommitOrGoAloneWhenHeldLongAndStrayAcksAreIgnored) {
    add_readings(10);
    link_->accept();
    pump();
    ASSERT_EQ(link_->published().size(), 2u);
    EXPECT_EQ(unacked_in_store(), 2);
    uplink_->on_note({uplink::LinkNote::Kind::acked, 999, {}});  // e.g. the retained status
    EXPECT_EQ(uplink_->in_flight(), 2u);
    link_->ack(link_->published()[1].mid);
    EXPECT_EQ(uplink_->in_flight(), 1u);  // the window has room at once
    pump();
    EXPECT_EQ(unacked_in_store(), 2);  // no commit of its own yet
    add_readings(5);
    pump();  // the new message's commit takes the acknowledgement along
    EXPECT_EQ(link_->published().size(), 3u);
    EXPECT_EQ(unacked_in_store(), 2);
    link_->ack(link_->published()[0].mid);
    pump(kNow + uplink::Uplink::kAckHoldMs - 1);
    EXPECT_EQ(unacked_in_store(), 2);
    pump(kNow + uplink::Uplink::kAckHoldMs);  // held long enough: a commit of its own
    EXPECT_EQ(unacked_in_store(), 1);
}

TEST_F(UplinkTest, AcknowledgementsStillHeldAreAppliedAtAStop) {
    add_readings(5);
    link_->accept();
    pump();
    link_->ack_all();
    pump();
    EXPECT_EQ(unacked_in_store(), 1);
    ASSERT_TRUE(uplink_->apply_acks());
    EXPECT_EQ(unacked_in_store(), 0);
}

TEST_F(UplinkTest, AFoldStoresTheBatchAndSendsItsTelemetryInOneCommit) {
    link_->accept();
    pump();
    std::vector<Reading> batch = {reading("m1", kNow - 200, 100, 10),
                                  reading("m1", kNow - 190, 101, 10),
                                  reading("m1", kNow - 180, 102, 10)};
    const int64_t chain_before = store_->chain_length();
    // Flushed every second and younger than the batch delay: it would not wait for the next.
    auto r = uplink_->fold(kNow, {batch, 0}, 1000);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(link_->published().size(), 1u);
    auto j = nlohmann::json::parse(link_->published()[0].payload);
    EXPECT_EQ(j.at("seq"), 1);
    EXPECT_EQ(j.at("readings").size(), 3u);
    EXPECT_EQ(store_->chain_length(), chain_before + 1);
    EXPECT_EQ(store_->durable_chain_length(), store_->chain_length());  // the commit was FULL
    // With a short flush period the batch waits for the next folds, up to the batch delay.
    batch = {reading("m1", kNow - 100, 1, 1)};
    ASSERT_TRUE(uplink_->fold(kNow, {batch, 0}, 10));
    EXPECT_EQ(link_->published().size(), 1u);
    auto b = store_->backlog();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->unsent_readings, 1);
    pump(kNow + 1000);  // an ordinary pump sends it once its oldest reading is that old
    EXPECT_EQ(link_->published().size(), 2u);
}

TEST_F(UplinkTest, AFoldWhileDisconnectedStoresTheBatchAndGivesNoSeq) {
    std::vector<Reading> batch = {reading("m1", kNow - 2000, 1, 1)};
    ASSERT_TRUE(uplink_->fold(kNow, {batch, 7}, 1000));
    EXPECT_TRUE(link_->published().empty());
    auto b = store_->backlog();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->unsent_readings, 1);
    EXPECT_EQ(b->next_seq, 1u);
    auto folded = store_->journal_folded();
    ASSERT_TRUE(folded);
    EXPECT_EQ(*folded, 7u);
}

TEST_F(UplinkTest, EventsGoAheadOfATelemetryBacklog) {
    add_readings(20);
    ASSERT_TRUE(store_->append_event(test_support::reenergized("gw1:reenergized:1", kNow - 1000)));
    link_->accept();
    pump();
    ASSERT_FALSE(link_->published().empty());
    EXPECT_EQ(link_->published()[0].topic, topics_.event);
    EXPECT_EQ(seq_of(link_->published()[0]), 1u);
}

TEST_F(UplinkTest, AReconnectDoesNotHandOverAgainWhatTheLinkStillHolds) {
    add_readings(50);
    link_->accept();
    pump();
    ASSERT_EQ(link_->published().size(), 4u);
    link_->drop();
    pump();
    EXPECT_EQ(link_->published().size(), 4u);  // nothing while disconnected

    link_->accept();  // the link itself delivers the four again
    pump();
    EXPECT_EQ(link_->published().size(), 4u);  // the window is still full of them
    EXPECT_EQ(link_->delivered().size(), 8u);
    link_->ack_all();
    pump();
    EXPECT_EQ(published_seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(UplinkTest, AfterARestartUnacknowledgedMessagesGoAgainFirstWithIdenticalBytesAndSeq) {
    add_readings(15);
    link_->accept();
    pump();
    ASSERT_EQ(link_->published().size(), 3u);
    link_->ack(link_->published()[0].mid);  // seq 1 acknowledged, but never applied: the
                                            // process dies before its next pump
    const std::vector<FakeLink::Message> before = link_->published();

    reopen();
    add_readings(5, kNow - 60000);  // newer data is waiting too
    link_->accept();
    pump();
    const auto& after = link_->published();
    ASSERT_GE(after.size(), 4u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(after[i].topic, before[i].topic);
        EXPECT_EQ(after[i].payload, before[i].payload) << "seq " << seq_of(before[i]);
    }
    EXPECT_EQ(seq_of(after[3]), 4u);  // new messages continue the sequence
}

TEST_F(UplinkTest, AFailedHandOverKeepsItsPlaceAndItsSeq) {
    add_readings(10);
    link_->accept();
    link_->fail_publishes(true);
    pump();
    EXPECT_TRUE(link_->published().empty());
    EXPECT_EQ(uplink_->in_flight(), 0u);
    link_->fail_publishes(false);
    pump();  // the pump waits for the link to say it is connected again
    EXPECT_TRUE(link_->published().empty());
    link_->drop();
    link_->accept();
    pump();
    EXPECT_EQ(published_seqs(), (std::vector<uint64_t>{1, 2}));  // no seq lost or skipped
}

}  // namespace
