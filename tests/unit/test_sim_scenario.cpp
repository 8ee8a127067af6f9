// sealwatch-sim scenario files: what a good file gives, and where a bad one is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "profiles/catalog.hpp"
#include "sim/duration.hpp"
#include "sim/listeners.hpp"
#include "sim/scenario.hpp"

using namespace sealwatch::sim;

namespace {

bool has_problem(const Problems& problems, const std::string& needle) {
    for (auto& p : problems)
        if (p.find(needle) != std::string::npos) return true;
    return false;
}

std::string all(const Problems& problems) {
    std::string out;
    for (auto& p : problems) out += p + "\n";
    return out;
}

}  // namespace

TEST(SimDuration, Units) {
    EXPECT_DOUBLE_EQ(*parse_duration("250ms"), 0.25);
    EXPECT_DOUBLE_EQ(*parse_duration("10s"), 10);
    EXPECT_DOUBLE_EQ(*parse_duration("5m"), 300);
    EXPECT_DOUBLE_EQ(*parse_duration("1h30m"), 5400);
    EXPECT_DOUBLE_EQ(*parse_duration("2d"), 172800);
    EXPECT_DOUBLE_EQ(*parse_duration("90"), 90);
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("5 minutes"));
    EXPECT_FALSE(parse_duration("1h30"));
    EXPECT_FALSE(parse_duration("-5s"));
}

TEST(SimScenario, GoodFile) {
    const char* text = R"(
[sim]
speed = 60
seed = 3

[[listener]]
id = "rs485"
rtu = "/tmp/a"
baud = 19200
parity = "E"

[[listener]]
id = "lan"
tcp = "127.0.0.1:5020"

[[meter]]
id = "furnace-2"
unit = 1
profile = "eastron-sdm630"
serial = 630001
listener = "rs485"
u_v = [230, 231, 229]
pf = 0.9
split = [1, 1, 0]
e_imp_kwh = 100.5
program = [
  { at = "10m", ramp_to = 5000, over = "2m" },
  { at = "0s", p_w = 300 },
]
heat = { start = "1h", ramp = "5m", hold_w = 800000, hold = "40m", drop = "1m", gap = "20m", repeat = 3 }
faults = [
  { no_answer = true, from = "10m", until = "20m" },
  { exception = 4 },
  { swap = { serial = 999, e_imp_kwh = 12.5 }, at = "2h" },
  { counter_reset = true, at = "1h" },
]

[[meter]]
unit = 2
profile = "chint-dtsu666"
)";
    auto s = parse_scenario(text, "demo.toml");
    ASSERT_TRUE(s) << all(s.error());
    EXPECT_EQ(*s->speed, 60);
    EXPECT_EQ(s->seed, 3u);
    ASSERT_EQ(s->listeners.size(), 2u);
    EXPECT_EQ(s->listeners[0].kind, ListenerSpec::Kind::rtu);
    EXPECT_EQ(s->listeners[0].baud, 19200);
    EXPECT_EQ(s->listeners[0].parity, 'E');
    EXPECT_EQ(s->listeners[1].port, 5020);
    ASSERT_EQ(s->meters.size(), 2u);
    const MeterSpec& m = s->meters[0];
    EXPECT_EQ(m.id, "furnace-2");
    EXPECT_EQ(m.serial, 630001u);
    EXPECT_EQ(m.listeners, std::vector<std::string>{"rs485"});
    EXPECT_EQ(m.electrical.u_v[1], 231);
    EXPECT_EQ(m.electrical.split[2], 0);
    ASSERT_EQ(m.program.size(), 2u);
    EXPECT_EQ(m.program[0].at, 0);  // sorted by time
    EXPECT_EQ(m.program[1].over, 120);
    ASSERT_EQ(m.heats.size(), 1u);
    EXPECT_EQ(m.heats[0].hold_w, 800000);
    EXPECT_EQ(m.heats[0].period(), 66 * 60);
    ASSERT_EQ(m.faults.size(), 2u);
    EXPECT_EQ(m.faults[0].from, 600);
    EXPECT_TRUE(m.faults[0].no_answer);
    EXPECT_EQ(m.faults[1].exception, 4);
    ASSERT_EQ(m.events.size(), 2u);
    EXPECT_EQ(m.events[0].kind, MeterEvent::Kind::counter_reset);  // sorted by time
    EXPECT_EQ(*m.events[1].serial, 999u);
    EXPECT_EQ(s->meters[1].id, "unit-2");  // default id
    EXPECT_TRUE(s->meters[1].listeners.empty());
}

TEST(SimScenario, ProblemsCarryFileAndLine) {
    const char* text = R"([[meter]]
unit = 1
profile = "eastron-sdm630"
colour = "red"
program = [{ at = "soon", p_w = 5 }]
faults = [{ exception = 99 }, { from = "5m" }]

[[meter]]
unit = 300
profile = "eastron-sdm630"
heat = { start = "1m", hold_w = 1000 }
)";
    auto s = parse_scenario(text, "bad.toml");
    ASSERT_FALSE(s);
    const Problems& p = s.error();
    EXPECT_TRUE(has_problem(p, "bad.toml:4: unknown key 'colour'")) << all(p);
    EXPECT_TRUE(has_problem(p, "bad.toml:5: 'at' in a program segment: 'soon' is not a duration"))
        << all(p);
    EXPECT_TRUE(has_problem(p, "bad.toml:6: 'exception' in a fault = 99 is out of range [1, 11]"))
        << all(p);
    EXPECT_TRUE(has_problem(p, "bad.toml:6: fault does nothing")) << all(p);
    EXPECT_TRUE(has_problem(p, "bad.toml:9: 'unit' in [[meter]] = 300 is out of range [1, 247]"))
        << all(p);
    EXPECT_TRUE(has_problem(p, "bad.toml:11: missing required key 'hold' in a heat")) << all(p);
}

TEST(SimScenario, SyntaxErrorHasALine) {
    auto s = parse_scenario("[[meter]]\nunit = 1\nprofile = \n", "broken.toml");
    ASSERT_FALSE(s);
    ASSERT_EQ(s.error().size(), 1u);
    EXPECT_EQ(s.error()[0].rfind("broken.toml:3: ", 0), 0u) << s.error()[0];
}

TEST(SimScenario, UnknownKeyNamesTheKnownOnes) {
    auto s = parse_scenario(R"([[meter]]
unit = 1
profile = "eastron-sdm630"
listener = []
faults = [{ no_answer = true, untill = "5m" }]
)",
                            "f.toml");
    ASSERT_FALSE(s);
    ASSERT_EQ(s.error().size(), 1u) << all(s.error());
    EXPECT_EQ(s.error()[0],
              "f.toml:5: unknown key 'untill' in a fault (expected one of: meter_event, swap, "
              "counter_reset, from, until, no_answer, offline, corrupt_crc, exception, slow_ms, "
              "freeze_power, report_p_w, garbage, wrong_address, drop_link, what)");
}

TEST(SimScenario, DeepNestingIsAProblemNotACrash) {
    std::string header = "[a";
    for (int i = 1; i < 20000; ++i) header += ".a";
    auto s = parse_scenario("[[meter]]\nunit = 1\n" + header + "]\n", "deep.toml");
    ASSERT_FALSE(s);
    ASSERT_EQ(s.error().size(), 1u) << all(s.error());
    EXPECT_EQ(s.error()[0],
              "deep.toml:3: nested more than 32 levels deep (tables, arrays and dotted keys); "
              "not read");
}

TEST(SimScenario, CheckAgainstCatalogAndListeners) {
    const char* text = R"([[listener]]
id = "lan"
tcp = "127.0.0.1:0"

[[meter]]
id = "a"
unit = 1
profile = "no-such-meter"

[[meter]]
id = "b"
unit = 2
profile = "eastron-sdm630"
listener = "rs485"

[[meter]]
id = "c"
unit = 2
profile = "eastron-sdm630"

[[meter]]
id = "d"
unit = 2
profile = "eastron-sdm630"
)";
    auto s = parse_scenario(text, "x.toml");
    ASSERT_TRUE(s) << all(s.error());
    auto p = check_scenario(*s, sealwatch::profiles::Catalog::builtin());
    EXPECT_TRUE(has_problem(p, "x.toml:5: unknown profile 'no-such-meter'")) << all(p);
    EXPECT_TRUE(has_problem(p, "x.toml:10: meter 'b' names listener 'rs485'")) << all(p);
    EXPECT_TRUE(has_problem(p, "x.toml:21: meter 'd' and meter 'c' both use unit 2")) << all(p);
}

TEST(SimScenario, CommandLineListenersReplaceTheFiles) {
    std::vector<ListenerSpec> file(2);
    file[0].id = "lan";
    file[0].kind = ListenerSpec::Kind::tcp;
    file[0].port = 5020;
    file[1].id = "bus";
    file[1].kind = ListenerSpec::Kind::rtu;
    file[1].device = "/dev/ttyS1";
    std::vector<std::string> problems;
    auto out = merge_listeners(file, {"127.0.0.1:0", "extra=127.0.0.1:1502"}, {"/tmp/a"},
                               SerialDefaults{19200, 'E', 8, 1}, problems);
    ASSERT_TRUE(problems.empty());
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].id, "lan");  // takes the file's first tcp listener's place
    EXPECT_EQ(out[0].port, 0);
    EXPECT_EQ(out[1].id, "extra");
    EXPECT_EQ(out[2].id, "bus");
    EXPECT_EQ(out[2].device, "/tmp/a");
    EXPECT_EQ(out[2].baud, 19200);

    auto unchanged = merge_listeners(file, {}, {}, SerialDefaults{}, problems);
    EXPECT_EQ(unchanged.size(), 2u);

    merge_listeners({}, {"nonsense"}, {}, SerialDefaults{}, problems);
    EXPECT_EQ(problems.size(), 1u);
}

TEST(SimScenario, HostPort) {
    EXPECT_EQ(parse_host_port("127.0.0.1:502")->second, 502);
    EXPECT_EQ(parse_host_port("[::1]:1502")->first, "::1");
    EXPECT_FALSE(parse_host_port("127.0.0.1"));
    EXPECT_FALSE(parse_host_port("host:99999"));
}

TEST(SimScenario, PowerValuesThatLie) {
    const char* text = R"([[meter]]
unit = 1
profile = "eastron-sdm630"
faults = [
  { freeze_power = true, from = "1m", until = "20m" },
  { report_p_w = 0, from = "30m" },
]

[[meter]]
unit = 2
profile = "eastron-sdm630"
faults = [{ freeze_power = true, report_p_w = 5 }, { at = "1m", counter_reset = true, freeze_power = true }]
)";
    auto s = parse_scenario(text, "lie.toml");
    ASSERT_FALSE(s);
    const Problems& p = s.error();
    EXPECT_TRUE(has_problem(p, "lie.toml:12: freeze_power and report_p_w need separate entries"))
        << all(p);
    EXPECT_TRUE(has_problem(
        p, "lie.toml:12: 'freeze_power' in a fault cannot be combined with counter_reset"))
        << all(p);
    auto ok = parse_scenario(
        std::string(text).substr(0, std::string(text).find("\n[[meter]]\nunit = 2")), "lie.toml");
    ASSERT_TRUE(ok) << all(ok.error());
    const auto& f = ok->meters[0].faults;
    ASSERT_EQ(f.size(), 2u);
    EXPECT_TRUE(f[0].freeze_power);
    EXPECT_EQ(f[0].from, 60);
    EXPECT_EQ(*f[1].report_p_w, 0);
}

// The scenarios shipped for demos and tests (docs/simulator.md) are valid as written.
TEST(SimScenario, ShippedScenariosAreValid) {
    const std::filesystem::path dir =
        std::filesystem::path(SEALWATCH_SOURCE_DIR) / "tests" / "scenarios" / "sim";
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".toml") continue;
        ++n;
        auto s = load_scenario(entry.path().string());
        ASSERT_TRUE(s) << all(s.error());
        // As the tests run them: on a free TCP port named on the command line.
        Problems p;
        s->listeners = merge_listeners(s->listeners, {"127.0.0.1:0"}, {}, SerialDefaults{}, p);
        auto more = check_scenario(*s, sealwatch::profiles::Catalog::builtin());
        p.insert(p.end(), more.begin(), more.end());
        EXPECT_TRUE(p.empty()) << all(p);
    }
    EXPECT_GE(n, 7);
}

// A DTU: a TCP listener framing Modbus RTU, whose meters may drop its link.
TEST(SimScenario, RtuOverTcpListenerAndDropLink) {
    const char* text = R"([[listener]]
id = "dtu"
tcp = "127.0.0.1:0"
framing = "rtu"

[[meter]]
unit = 3
profile = "eastron-sdm630"
faults = [{ drop_link = true, from = "30s", until = "32s" }]
)";
    auto s = parse_scenario(text, "dtu.toml");
    ASSERT_TRUE(s) << all(s.error());
    EXPECT_TRUE(s->listeners[0].rtu_over_tcp);
    ASSERT_EQ(s->meters[0].faults.size(), 1u);
    EXPECT_TRUE(s->meters[0].faults[0].drop_link);
    EXPECT_EQ(s->meters[0].faults[0].until, 32);

    // The command line's address for the listener keeps its framing.
    Problems p;
    auto merged = merge_listeners(s->listeners, {"dtu=127.0.0.1:0"}, {}, SerialDefaults{}, p);
    ASSERT_EQ(merged.size(), 1u);
    EXPECT_TRUE(merged[0].rtu_over_tcp);

    auto bad = parse_scenario(R"([[listener]]
id = "a"
rtu = "/dev/ttyS1"
framing = "rtu"

[[listener]]
id = "b"
tcp = "127.0.0.1:0"
framing = "rtu"
protocol = "dlt645"
)",
                              "bad.toml");
    ASSERT_FALSE(bad);
    EXPECT_TRUE(has_problem(bad.error(), "bad.toml:4: 'framing' in [[listener]] must be \"rtu\""))
        << all(bad.error());
    EXPECT_TRUE(has_problem(bad.error(), "bad.toml:9: 'framing' in [[listener]] is for Modbus"))
        << all(bad.error());
}
