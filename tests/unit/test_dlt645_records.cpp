// The meters' own event records: the time in the latest record of an event, from reply frames
// derived by hand (DL/T 645-2007 Table A.4: a power-down record is its start and end time, a
// time-set record the operator code, then the time before and after the setting), read in the
// meter's local zone; empty and malformed records give no time.
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dlt645/data_map.hpp"
#include "dlt645/exchange.hpp"
#include "dlt645/frame.hpp"
#include "dlt645/meter_time.hpp"
#include "profiles/catalog.hpp"

namespace dl = sealwatch::dlt645;
using Bytes = std::vector<uint8_t>;

namespace {

const dl::Address kMeter{0x78, 0x56, 0x34, 0x12, 0x00, 0x00};  // 000012345678

// Meter 000012345678 answers the read of 03110001 (the latest power-down record): control
// 91H, length 10H (4 identifier bytes + 12); the identifier 01 00 11 03 and the start
// 2026-11-21 14:05:09 (ss mm hh DD MM YY: 09 05 14 21 11 26) and end 14:07:00 (00 07 14 21 11
// 26), each byte +33H; checksum the byte sum from the first 68H, modulo 256.
const Bytes kPowerDownRecord{0x68, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x68, 0x91, 0x10,
                             0x34, 0x33, 0x44, 0x36, 0x3C, 0x38, 0x47, 0x54, 0x44, 0x59,
                             0x33, 0x3A, 0x47, 0x54, 0x44, 0x59, 0xB7, 0x16};

// Its read of 03300401 (the latest time set): length 14H; identifier 01 04 30 03; operator
// code 12345678 (78 56 34 12), before 2026-11-21 08:00:00, after 08:30:00; each byte +33H.
const Bytes kTimeSetRecord{0x68, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x68, 0x91, 0x14, 0x34,
                           0x37, 0x63, 0x36, 0xAB, 0x89, 0x67, 0x45, 0x33, 0x33, 0x3B, 0x54,
                           0x44, 0x59, 0x33, 0x63, 0x3B, 0x54, 0x44, 0x59, 0xC1, 0x16};

const dl::EventCount& count_of(dl::DataId id) {
    static const auto catalog = sealwatch::profiles::Catalog::builtin();
    for (const auto& c : catalog.find("dlt645-2007")->identifiers.event_counts)
        if (c.ids.front() == id) return c;
    ADD_FAILURE() << "no count " << id;
    std::abort();
}

Bytes record_value(const Bytes& frame, dl::DataId id) {
    auto f = dl::decode(frame);
    EXPECT_TRUE(f);
    if (!f) return {};
    auto r = dl::check_reply(dl::read_request(kMeter, id), *f);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_FALSE(r->refused);
    return r->value;
}

bool operator==(const dl::MeterTime& a, const dl::MeterTime& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
           a.minute == b.minute && a.second == b.second;
}

// The machine's zone for one test (meters keep local time): China Standard Time, no summer time.
class InZone {
  public:
    explicit InZone(const char* tz) {
        if (const char* old = std::getenv("TZ")) old_ = old;
        setenv("TZ", tz, 1);
        tzset();
    }
    ~InZone() {
        if (old_)
            setenv("TZ", old_->c_str(), 1);
        else
            unsetenv("TZ");
        tzset();
    }
    InZone(const InZone&) = delete;
    InZone& operator=(const InZone&) = delete;

  private:
    std::optional<std::string> old_;
};

}  // namespace

TEST(Dlt645Records, ThePowerDownRecordStartsWithItsTime) {
    const dl::EventCount& power_down = count_of(0x03110000);
    ASSERT_EQ(power_down.records, std::vector<dl::DataId>{0x03110001});
    const Bytes value = record_value(kPowerDownRecord, 0x03110001);
    EXPECT_EQ(value.size(), 12u) << "the record after its identifier";
    auto t = dl::record_time(power_down, value);
    ASSERT_TRUE(t);
    EXPECT_TRUE((*t == dl::MeterTime{2026, 11, 21, 14, 5, 9}));
    InZone cst("CST-8");
    EXPECT_EQ(dl::local_to_unix(*t), 1'795'241'109);  // 2026-11-21T06:05:09Z
}

TEST(Dlt645Records, TheTimeSetRecordsTimeIsTheOneBeforeTheSetting) {
    const dl::EventCount& time_set = count_of(0x03300400);
    ASSERT_EQ(time_set.records, std::vector<dl::DataId>{0x03300401});
    EXPECT_EQ(time_set.record_time_at, 4) << "after the operator code";
    auto t = dl::record_time(time_set, record_value(kTimeSetRecord, 0x03300401));
    ASSERT_TRUE(t);
    EXPECT_TRUE((*t == dl::MeterTime{2026, 11, 21, 8, 0, 0}));
}

TEST(Dlt645Records, ThePhaseBlocksHaveARecordPerPhase) {
    EXPECT_EQ(count_of(0x03010000).records,
              (std::vector<dl::DataId>{0x03010101, 0x03010201, 0x03010301}));
    EXPECT_EQ(count_of(0x03300D00).records, std::vector<dl::DataId>{0x03300D01});
    // The State Grid set: no record format established, no record read.
    EXPECT_TRUE(count_of(0x10010001).records.empty());
}

TEST(Dlt645Records, EmptyShortAndMalformedRecordsGiveNoTime) {
    const dl::EventCount& cover = count_of(0x03300D00);
    EXPECT_FALSE(dl::record_time(cover, Bytes(12, 0x00))) << "an empty record: month 0";
    EXPECT_FALSE(dl::record_time(cover, Bytes{0x09, 0x05, 0x14, 0x21, 0x11}));
    EXPECT_FALSE(dl::record_time(cover, Bytes{}));
    EXPECT_FALSE(dl::record_time(cover, Bytes{0x0A, 0x05, 0x14, 0x21, 0x11, 0x26}));  // no digit
    EXPECT_FALSE(dl::record_time(cover, Bytes{0x60, 0x05, 0x14, 0x21, 0x11, 0x26}));  // 60 s
    EXPECT_FALSE(dl::record_time(cover, Bytes{0x00, 0x00, 0x24, 0x21, 0x11, 0x26}));  // 24 h
    EXPECT_FALSE(dl::record_time(cover, Bytes{0x00, 0x00, 0x00, 0x21, 0x13, 0x26}));  // month 13
    const dl::EventCount& time_set = count_of(0x03300400);
    EXPECT_FALSE(dl::record_time(time_set, Bytes{0x09, 0x05, 0x14, 0x21, 0x11, 0x26}))
        << "the time starts past the operator code";
    // 31 February passes the ranges but is no date.
    auto feb31 = dl::decode_meter_time(Bytes{0x00, 0x00, 0x00, 0x31, 0x02, 0x26});
    ASSERT_TRUE(feb31);
    InZone cst("CST-8");
    EXPECT_FALSE(dl::local_to_unix(*feb31));
}

TEST(Dlt645Records, EncodeIsTheInverseInTheLocalZone) {
    InZone cst("CST-8");
    const dl::MeterTime t = dl::unix_to_local(1'795'241'109);
    EXPECT_TRUE((t == dl::MeterTime{2026, 11, 21, 14, 5, 9}));
    const auto bytes = dl::encode_meter_time(t);
    EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), (Bytes{0x09, 0x05, 0x14, 0x21, 0x11, 0x26}));
    EXPECT_EQ(dl::local_to_unix(*dl::decode_meter_time(bytes)), 1'795'241'109);
}
