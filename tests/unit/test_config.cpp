// Config validation: one test per kind of problem, asserting the message and its line.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config.hpp"

using namespace sealwatch;

namespace {

// A valid config; tests append or alter lines. Line numbers below count from here.
const std::string kGood = R"(# line 1
[gateway]
id = "gw-001"
site = "plant-03"
data_dir = "/tmp/sw"
timezone = "Asia/Shanghai"

[uplink]
host = "127.0.0.1"
port = 1883
insecure = true

[[bus]]
id = "rs485-1"
kind = "rtu"
device = "/dev/ttyS1"
baud = 9600
parity = "even"

[[bus]]
id = "lan"
kind = "tcp"
host = "10.0.0.5"

[[meter]]
id = "m1"
bus = "rs485-1"
unit = 1
profile = "eastron-sdm630"

[[meter]]
id = "m2"
bus = "lan"
unit = 2
profile = "chint-dtsu666"
interval_ms = 5000

[[asset]]
id = "furnace-2"
kind = "induction_furnace"
state = "sealed"
meters = ["m1"]
standby_w = 300

[[balance]]
main = "m2"
subs = ["m1"]
tolerance_pct = 5
)";

config::Problems problems_of(const std::string& text) {
    auto r = config::parse(text, "t.toml");
    if (r) return {};
    return r.error();
}

bool has(const config::Problems& ps, const std::string& needle) {
    return std::any_of(ps.begin(), ps.end(),
                       [&](const std::string& p) { return p.find(needle) != std::string::npos; });
}

std::string join(const config::Problems& ps) {
    std::string s;
    for (const auto& p : ps) s += p + "\n";
    return s;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return text.replace(pos, from.size(), to);
}

}  // namespace

TEST(Config, GoodConfigParses) {
    auto r = config::parse(kGood, "t.toml");
    ASSERT_TRUE(r) << join(r.error());
    EXPECT_EQ(r->gateway.id, "gw-001");
    ASSERT_EQ(r->buses.size(), 2u);
    EXPECT_EQ(r->buses[0].kind, config::BusKind::rtu);
    EXPECT_EQ(r->buses[0].parity, 'E');
    EXPECT_EQ(r->buses[0].timeout_ms, 800);  // the evidence-based default
    EXPECT_EQ(r->buses[1].port, 502);
    EXPECT_EQ(r->meters[1].interval_ms, 5000);
    EXPECT_EQ(r->meters[0].interval_ms, 1000);
    EXPECT_EQ(r->assets[0].state, config::AssetState::sealed);
    EXPECT_DOUBLE_EQ(r->assets[0].standby_w, 300);
    EXPECT_TRUE(r->uplink.insecure);
}

// Unset, the flush period is the store's to choose by the database's page size; set, it is kept.
TEST(Config, FlushPeriodIsUnsetUnlessWritten) {
    auto unset = config::parse(kGood, "t.toml");
    ASSERT_TRUE(unset) << join(unset.error());
    EXPECT_EQ(unset->storage.flush_ms, std::nullopt);
    auto set = config::parse(kGood + "\n[storage]\nflush_ms = 5000\n", "t.toml");
    ASSERT_TRUE(set) << join(set.error());
    EXPECT_EQ(set->storage.flush_ms, std::optional<int>(5000));
    auto ps = problems_of(kGood + "\n[storage]\nflush_ms = 5\n");
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_NE(ps[0].find("flush_ms"), std::string::npos) << ps[0];
}

TEST(Config, SyntaxErrorNamesLine) {
    auto ps = problems_of(replace(kGood, "unit = 1\n", "unit = = 1\n"));
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("t.toml:28:", 0), 0u) << ps[0];
}

TEST(Config, UnknownKeyIsAnError) {
    auto ps = problems_of(replace(kGood, "unit = 1\n", "unit = 1\nuint = 3\n"));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0],
              "t.toml:29: unknown key 'uint' in [[meter]] (expected one of: id, bus, unit, "
              "profile, interval_ms, offline_after, backoff_max_ms, ct_ratio, pt_ratio, "
              "event_counts_interval_s)");
}

TEST(Config, InstrumentRatiosDefaultToOneAndAreReadPerMeter) {
    auto r = config::parse(
        replace(kGood, "unit = 2\n", "unit = 2\nct_ratio = 200\npt_ratio = 0.5\n"), "t.toml");
    ASSERT_TRUE(r) << join(r.error());
    EXPECT_EQ(r->meters[0].ratios, InstrumentRatios{});
    EXPECT_EQ(r->meters[1].ratios, (InstrumentRatios{200, 0.5}));
}

TEST(Config, InstrumentRatiosMustBePositiveFiniteAndSane) {
    auto with = [](const std::string& lines) {
        return problems_of(replace(kGood, "unit = 1\n", "unit = 1\n" + lines));
    };
    const std::pair<const char*, const char*> cases[] = {
        {"ct_ratio = 0\n",
         "t.toml:29: 'ct_ratio' in [[meter]] must be greater than 0: primary over secondary, "
         "e.g. 200 for a 1000/5 A current transformer"},
        {"pt_ratio = -100\n",
         "t.toml:29: 'pt_ratio' in [[meter]] = -100 is out of range [0, 1e+05]"},
        // A primary current typed in for the ratio.
        {"ct_ratio = 200000\n",
         "t.toml:29: 'ct_ratio' in [[meter]] = 2e+05 is out of range [0, 1e+05]"},
        {"ct_ratio = \"200/5\"\n", "t.toml:29: 'ct_ratio' in [[meter]] must be a finite number"},
    };
    for (const auto& [lines, problem] : cases) {
        auto ps = with(lines);
        ASSERT_EQ(ps.size(), 1u) << lines << join(ps);
        EXPECT_EQ(ps[0], problem);
    }
    auto ps = with("ct_ratio = inf\npt_ratio = nan\n");
    ASSERT_EQ(ps.size(), 2u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:29: 'ct_ratio' in [[meter]] must be a finite number");
    EXPECT_EQ(ps[1], "t.toml:30: 'pt_ratio' in [[meter]] must be a finite number");
}

TEST(Config, UnknownTopLevelTable) {
    auto ps = problems_of(kGood + "[storage_typo]\nbudget_mb = 3\n");
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_TRUE(has(ps, "t.toml:49: unknown key 'storage_typo' in the top level")) << join(ps);
}

TEST(Config, WrongType) {
    auto ps = problems_of(replace(kGood, "baud = 9600", "baud = \"9600\""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:17: 'baud' in [[bus]] must be an integer");
}

TEST(Config, OutOfRange) {
    auto ps = problems_of(replace(kGood, "interval_ms = 5000", "interval_ms = 5"));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:36: 'interval_ms' in [[meter]] = 5 is out of range [100, 3600000]");
}

TEST(Config, BadEnumValue) {
    auto ps = problems_of(replace(kGood, "state = \"sealed\"", "state = \"seald\""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_TRUE(has(ps, "t.toml:41: 'state' must be one of")) << join(ps);
}

TEST(Config, InvalidId) {
    auto ps = problems_of(replace(kGood, "id = \"gw-001\"", "id = \"gw 001\""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0],
              "t.toml:3: 'id' in [gateway] = \"gw 001\" is not a valid id ([A-Za-z0-9_-]{1,64})");
}

TEST(Config, DuplicateId) {
    auto ps = problems_of(replace(kGood, "id = \"m2\"", "id = \"m1\""));
    EXPECT_TRUE(has(ps, "t.toml:31: duplicate meter id \"m1\" (first at line 25)")) << join(ps);
}

TEST(Config, DanglingBus) {
    auto ps = problems_of(replace(kGood, "bus = \"lan\"", "bus = \"lan2\""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:31: meter \"m2\": no bus \"lan2\"");
}

TEST(Config, UnknownProfile) {
    auto ps = problems_of(replace(kGood, "\"chint-dtsu666\"", "\"chint-dtsu999\""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:31: meter \"m2\": no profile \"chint-dtsu999\"");
}

TEST(Config, DanglingAssetMeterAndBalance) {
    auto text = replace(kGood, "meters = [\"m1\"]", "meters = [\"m9\"]");
    text = replace(text, "main = \"m2\"", "main = \"m7\"");
    auto ps = problems_of(text);
    EXPECT_TRUE(has(ps, "t.toml:38: asset \"furnace-2\": no meter \"m9\"")) << join(ps);
    EXPECT_TRUE(has(ps, "t.toml:45: balance: no meter \"m7\"")) << join(ps);
}

TEST(Config, RtuUnitRangeAndDuplicateUnit) {
    auto text = replace(kGood, "unit = 1\n", "unit = 248\n");
    auto ps = problems_of(text);
    EXPECT_TRUE(has(ps, "t.toml:25: meter \"m1\": unit 248 out of range [1, 247] on an RTU bus"))
        << join(ps);
    text = replace(kGood, "bus = \"lan\"\nunit = 2", "bus = \"rs485-1\"\nunit = 1");
    ps = problems_of(text);
    EXPECT_TRUE(
        has(ps, "t.toml:31: meter \"m2\": unit 1 on bus \"rs485-1\" is already meter \"m1\""))
        << join(ps);
}

TEST(Config, KeysOfTheOtherBusKind) {
    auto ps =
        problems_of(replace(kGood, "host = \"10.0.0.5\"", "host = \"10.0.0.5\"\nbaud = 9600"));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:24: 'baud' belongs to an rtu bus, not tcp");
}

TEST(Config, MissingRequiredKey) {
    auto ps = problems_of(replace(kGood, "profile = \"eastron-sdm630\"\n", ""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0], "t.toml:25: missing required key 'profile' in [[meter]]");
}

TEST(Config, PlainMqttNeedsInsecure) {
    auto ps = problems_of(replace(kGood, "insecure = true\n", ""));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_TRUE(has(ps, "t.toml:8: [uplink]: no [uplink.tls] table")) << join(ps);
}

TEST(Config, AllProblemsInOneRun) {
    auto text = replace(kGood, "baud = 9600", "baud = 1");
    text = replace(text, "unit = 2", "unit = 2\ncolour = \"red\"");
    text = replace(text, "standby_w = 300", "standby_w = -1");
    auto ps = problems_of(text);
    EXPECT_EQ(ps.size(), 3u) << join(ps);
}

TEST(Config, MissingFile) {
    auto r = config::load("/nonexistent/sealwatch.toml");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error()[0],
              "/nonexistent/sealwatch.toml:0: cannot open the file: No such file or directory");
}

TEST(Config, DeepNestingIsAProblemNotACrash) {
    std::string header = "[a";
    for (int i = 1; i < 20000; ++i) header += ".a";
    auto ps = problems_of(kGood + header + "]\n");
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0],
              "t.toml:49: nested more than 32 levels deep (tables, arrays and dotted keys); not "
              "read");
}

// ---- DL/T 645 buses: kind = "dlt645" on a serial device (2400 8E1 by default) or behind a DTU
// (host/port), meters by their 12-digit address; every mix-up of a unit, an address, a bus kind
// and a profile's protocol is reported at the meter's line.

namespace {

const std::string kDlt645Head = R"([gateway]
id = "gw-001"
site = "plant-03"
data_dir = "/tmp/sw"

[uplink]
host = "127.0.0.1"
insecure = true
)";

config::Problems dlt645_problems(const std::string& text) {
    auto r = config::parse(kDlt645Head + text, "t.toml");
    if (r) return {};
    return r.error();
}

const std::string kSerialBus =
    "[[bus]]\nid = \"line\"\nkind = \"dlt645\"\ndevice = \"/dev/ttyS2\"\n";

}  // namespace

TEST(ConfigDlt645, SerialBusDefaultsToTheStandardsLine) {
    auto r = config::parse(kDlt645Head + kSerialBus +
                               "[[meter]]\nid = \"f\"\nbus = \"line\"\naddress = \"000012345678\"\n"
                               "profile = \"dlt645-2007\"\n",
                           "t.toml");
    ASSERT_TRUE(r) << join(r.error());
    const auto& b = r->buses[0];
    EXPECT_EQ(b.kind, config::BusKind::dlt645);
    EXPECT_EQ(b.baud, 2400);
    EXPECT_EQ(b.parity, 'E');
    EXPECT_EQ(b.data_bits, 8);
    EXPECT_EQ(b.stop_bits, 1);
    EXPECT_EQ(b.timeout_ms, 1000);
    EXPECT_EQ(r->meters[0].address, "000012345678");
}

TEST(ConfigDlt645, BehindADtu) {
    auto r = config::parse(kDlt645Head +
                               "[[bus]]\nid = \"dtu\"\nkind = \"dlt645\"\nhost = \"10.0.0.9\"\n"
                               "port = 8899\nbaud = 9600\n",
                           "t.toml");
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error(), "'baud' belongs to a serial line")) << join(r.error());
    r = config::parse(kDlt645Head +
                          "[[bus]]\nid = \"dtu\"\nkind = \"dlt645\"\nhost = \"10.0.0.9\"\n"
                          "port = 8899\ntimeout_ms = 2000\n",
                      "t.toml");
    ASSERT_TRUE(r) << join(r.error());
    EXPECT_EQ(r->buses[0].host, "10.0.0.9");
    EXPECT_EQ(r->buses[0].port, 8899);
    EXPECT_EQ(r->buses[0].timeout_ms, 2000);
    EXPECT_TRUE(has(dlt645_problems("[[bus]]\nid = \"dtu\"\nkind = \"dlt645\"\nhost = \"h\"\n"),
                    "missing required key 'port'"));
}

TEST(ConfigDlt645, ADeviceOrAHostNotBoth) {
    auto p = dlt645_problems("[[bus]]\nid = \"x\"\nkind = \"dlt645\"\n");
    EXPECT_TRUE(has(p, "t.toml:9: a dlt645 bus needs 'device'")) << join(p);
    p = dlt645_problems(kSerialBus + "host = \"h\"\nport = 1\n");
    EXPECT_TRUE(has(p, "needs 'device' (a serial line) or 'host' and 'port'")) << join(p);
}

TEST(ConfigDlt645, MeterMixUpsAreReported) {
    const std::string dlt_meter = "[[meter]]\nid = \"f\"\nbus = \"line\"\n";
    auto p = dlt645_problems(kSerialBus + dlt_meter + "unit = 1\nprofile = \"dlt645-2007\"\n");
    EXPECT_TRUE(has(p, "t.toml:13: meter \"f\": a meter on a dlt645 bus needs an 'address'"))
        << join(p);
    p = dlt645_problems(kSerialBus + dlt_meter +
                        "address = \"000012345678\"\n"
                        "profile = \"eastron-sdm630\"\n");
    EXPECT_TRUE(has(p,
                    "profile \"eastron-sdm630\" is for modbus meters, and bus \"line\" "
                    "speaks dlt645"))
        << join(p);
    p = dlt645_problems(kSerialBus + dlt_meter +
                        "address = \"12345678\"\nprofile = \"dlt645-2007\"\n");
    EXPECT_TRUE(has(p, "t.toml:16: 'address' must be 12 digits")) << join(p);
    p = dlt645_problems(kSerialBus + dlt_meter +
                        "address = \"000012345678\"\nunit = 3\n"
                        "profile = \"dlt645-2007\"\n");
    EXPECT_TRUE(has(p, "a meter has a 'unit' (Modbus) or an 'address' (DL/T 645)")) << join(p);
    p = dlt645_problems(
        "[[bus]]\nid = \"lan\"\nkind = \"tcp\"\nhost = \"h\"\n[[meter]]\nid = \"m\"\n"
        "bus = \"lan\"\naddress = \"000012345678\"\nprofile = \"dlt645-2007\"\n");
    EXPECT_TRUE(has(p, "'address' is for meters on a dlt645 bus")) << join(p);
    EXPECT_TRUE(has(p,
                    "profile \"dlt645-2007\" is for dlt645 meters, and bus \"lan\" speaks "
                    "modbus"))
        << join(p);
    p = dlt645_problems(kSerialBus + dlt_meter +
                        "address = \"000012345678\"\n"
                        "profile = \"dlt645-2007\"\n" +
                        "[[meter]]\nid = \"g\"\nbus = \"line\"\naddress = \"000012345678\"\n"
                        "profile = \"dlt645-2007\"\n");
    EXPECT_TRUE(has(p, "meter \"g\": address 000012345678 on bus \"line\" is already meter \"f\""))
        << join(p);
}

// Issue 15: values a hostile or careless config carries, each accepted or echoed raw before.
TEST(Config, HugeDataDirIsRefusedAndEchoedBounded) {
    // 10 MB: the file is larger than a TOML file may be; 1 MB: the path is no path.
    const size_t ten_mb = 10'000'000;
    auto ps = problems_of(replace(kGood, "data_dir = \"/tmp/sw\"",
                                  "data_dir = \"/" + std::string(ten_mb, 'a') + "\""));
    EXPECT_TRUE(has(ps, "the most a TOML file may have here")) << join(ps).substr(0, 2000);
    ps = problems_of(replace(kGood, "data_dir = \"/tmp/sw\"",
                             "data_dir = \"/" + std::string(1'000'000, 'a') + "\""));
    EXPECT_TRUE(has(ps, "t.toml:5: 'data_dir' is 1000001 bytes long; a path has at most 4095"))
        << join(ps).substr(0, 2000);
    for (const auto& p : ps) EXPECT_LT(p.size(), 1200u);
}

TEST(Config, ControlCharactersInValuesAreEchoedEscaped) {
    auto ps = problems_of(
        replace(kGood, "timezone = \"Asia/Shanghai\"", "timezone = \"Asia\\u0000\\u001b[2J\""));
    ASSERT_TRUE(has(ps, "t.toml:6: unknown timezone \"Asia\\x00\\x1b[2J\"")) << join(ps);
    for (const auto& p : ps) {
        EXPECT_EQ(p.find('\0'), std::string::npos);
        EXPECT_EQ(p.find('\x1b'), std::string::npos);
    }
}

TEST(Config, UnreadableProfileFolderIsReportedAtItsConfigLine) {
    auto ps = problems_of(
        replace(kGood, "timezone = \"Asia/Shanghai\"\n",
                "timezone = \"Asia/Shanghai\"\nprofile_dirs = [\"/nonexistent/sw\"]\n"));
    ASSERT_EQ(ps.size(), 1u) << join(ps);
    EXPECT_EQ(ps[0].rfind("t.toml:7: cannot read profile folder \"/nonexistent/sw\": ", 0), 0u)
        << ps[0];
}

TEST(Config, TlsFileNamingAFolderIsRefused) {
    auto ps =
        problems_of(replace(kGood, "insecure = true\n", "") + "[uplink.tls]\nca_file = \"/tmp\"\n");
    EXPECT_TRUE(has(ps, "'ca_file': /tmp is a folder, not a file")) << join(ps);
}

// ---- RTU over TCP: kind = "rtu" with host/port (a serial device server or a 4G DTU in
// transparent mode) instead of device; the serial line's settings are the DTU's.

TEST(ConfigRtuOverTcp, HostAndPortInsteadOfDevice) {
    auto r = config::parse(kDlt645Head +
                               "[[bus]]\nid = \"dtu\"\nkind = \"rtu\"\nhost = \"10.0.0.7\"\n"
                               "port = 4001\ntimeout_ms = 1500\ninter_frame_ms = 20\n"
                               "[[meter]]\nid = \"m\"\nbus = \"dtu\"\nunit = 3\n"
                               "profile = \"eastron-sdm630\"\n",
                           "t.toml");
    ASSERT_TRUE(r) << join(r.error());
    const auto& b = r->buses[0];
    EXPECT_EQ(b.kind, config::BusKind::rtu);
    EXPECT_TRUE(b.device.empty());
    EXPECT_EQ(b.host, "10.0.0.7");
    EXPECT_EQ(b.port, 4001);
    EXPECT_EQ(b.timeout_ms, 1500);
    EXPECT_EQ(b.inter_frame_ms, 20);
}

TEST(ConfigRtuOverTcp, ADeviceOrAHostNotBoth) {
    auto p = dlt645_problems("[[bus]]\nid = \"x\"\nkind = \"rtu\"\n");
    EXPECT_TRUE(has(p, "t.toml:9: an rtu bus needs 'device' (a serial line) or 'host' and 'port'"))
        << join(p);
    p = dlt645_problems(
        "[[bus]]\nid = \"x\"\nkind = \"rtu\"\ndevice = \"/dev/ttyS1\"\n"
        "host = \"h\"\nport = 4001\n");
    EXPECT_TRUE(has(p, "t.toml:9: an rtu bus needs 'device'")) << join(p);
    EXPECT_EQ(p.size(), 1u) << join(p);
}

TEST(ConfigRtuOverTcp, ThePortMustBeSaid) {
    auto p = dlt645_problems("[[bus]]\nid = \"x\"\nkind = \"rtu\"\nhost = \"h\"\n");
    ASSERT_EQ(p.size(), 1u) << join(p);
    EXPECT_TRUE(has(p, "missing required key 'port'")) << join(p);
}

TEST(ConfigRtuOverTcp, SerialSettingsBelongToTheDtu) {
    auto p = dlt645_problems(
        "[[bus]]\nid = \"x\"\nkind = \"rtu\"\nhost = \"h\"\nport = 4001\n"
        "baud = 9600\n");
    ASSERT_EQ(p.size(), 1u) << join(p);
    EXPECT_EQ(p[0],
              "t.toml:14: 'baud' belongs to a serial line ('device'); behind 'host' the device "
              "server or DTU drives the line: set it there");
    p = dlt645_problems(
        "[[bus]]\nid = \"x\"\nkind = \"rtu\"\ndevice = \"/dev/ttyS1\"\n"
        "port = 4001\n");
    ASSERT_EQ(p.size(), 1u) << join(p);
    EXPECT_TRUE(has(p, "t.toml:13: 'port' goes with 'host'")) << join(p);
}
