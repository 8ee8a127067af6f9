// The one TOML reader under the config, the profiles and the scenarios: what it reports, where,
// and in which order; and the bounds it checks on the raw text before toml++ sees it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/problem_log.hpp"
#include "common/table_reader.hpp"
#include "common/toml_document.hpp"

using namespace sealwatch;
using Need = TableReader::Need;

namespace {

std::string joined(const std::vector<std::string>& ps) {
    std::string s;
    for (const auto& p : ps) s += p + "\n";
    return s;
}

using Problems = std::vector<std::string>;

// What reading `text` reports, in file order. `read` gets the parsed document; the problems are
// taken after it returns, when its TableReaders are gone (unknown keys are reported then).
template <typename Read>
Problems problems_of(const std::string& text, Read read) {
    ProblemLog log("t.toml");
    auto doc = parse_toml(text, log);
    EXPECT_TRUE(doc) << joined(log.in_file_order());
    if (doc) read(*doc, log);
    return log.in_file_order();
}

// A dotted header `[a.a.a…]` of `levels` segments.
std::string deep_header(int levels) {
    std::string text = "[a";
    for (int i = 1; i < levels; ++i) text += ".a";
    return text + "]\n";
}

}  // namespace

TEST(TableReader, TypesRangesAndRequiredKeys) {
    const char* text = R"([t]
name = "x"
count = 7
big = 700
ratio = 0.5
flag = "yes"
list = ["a", 1]
)";
    auto problems = problems_of(text, [](const toml::table& doc, ProblemLog& log) {
        TableReader r(*doc.get_as<toml::table>("t"), "[t]", log);
        EXPECT_EQ(r.string("name"), "x");
        EXPECT_EQ(r.integer("count", 0, 10), 7);
        EXPECT_EQ(r.integer("big", 0, 10), std::nullopt);
        EXPECT_EQ(r.number("ratio", 0, 1), 0.5);
        EXPECT_EQ(r.boolean("flag"), std::nullopt);
        EXPECT_EQ(r.strings("list"), std::nullopt);
        EXPECT_EQ(r.string("absent"), std::nullopt);
        EXPECT_EQ(r.string("needed", Need::required), std::nullopt);
        int kept = 42;
        r.read("also_absent", kept, 0, 100);
        EXPECT_EQ(kept, 42);  // an absent key leaves the default
    });
    EXPECT_EQ(problems, (Problems{
                            "t.toml:1: missing required key 'needed' in [t]",
                            "t.toml:4: 'big' in [t] = 700 is out of range [0, 10]",
                            "t.toml:6: 'flag' in [t] must be true or false",
                            "t.toml:7: 'list' in [t] must be an array of strings",
                        }))
        << joined(problems);
}

TEST(TableReader, UnknownKeysNameTheKnownOnesAndRejectedKeysAreNotUnknown) {
    const char* text = "id = \"a\"\nport = 5\ncolour = \"red\"\n";
    auto problems = problems_of(text, [](const toml::table& doc, ProblemLog& log) {
        TableReader r(doc, "the top level", log);
        (void)r.id("id");
        (void)r.string("host");
        r.reject("port", "'port' belongs to a tcp bus");
        EXPECT_EQ(r.known(), (std::vector<std::string>{"id", "host"}));
    });
    EXPECT_EQ(problems, (Problems{
                            "t.toml:2: 'port' belongs to a tcp bus",
                            "t.toml:3: unknown key 'colour' in the top level (expected one of: "
                            "id, host)",
                        }))
        << joined(problems);
}

TEST(TableReader, ArraysOfTablesAndEntries) {
    const char* text = R"(one = { a = 1 }
many = [{ a = 1 }, 2]
[[bus]]
a = 1
[[bus]]
a = 2
[fields]
p_w = 1
f_hz = 2
)";
    auto problems = problems_of(text, [](const toml::table& doc, ProblemLog& log) {
        TableReader r(doc, "", log);
        EXPECT_EQ(r.tables("bus").size(), 2u);
        EXPECT_EQ(r.table_or_tables("one").size(), 1u);
        EXPECT_EQ(r.tables("one").size(), 0u);  // a table where [[one]] belongs
        EXPECT_EQ(r.table_or_tables("many").size(), 1u);
        TableReader fields(*r.table("fields"), "[fields]", log);
        std::vector<std::string> keys;
        for (const auto& e : fields.entries()) keys.emplace_back(e.key);
        EXPECT_EQ(keys, (std::vector<std::string>{"f_hz", "p_w"}));
    });
    EXPECT_EQ(problems, (Problems{
                            "t.toml:1: 'one' must be an array of tables ([[one]])",
                            "t.toml:2: each entry of 'many' must be a table",
                        }))
        << joined(problems);
}

TEST(TableReader, NumbersAreFiniteAndShownShortest) {
    const char* text = "a = nan\nb = -1.5\nc = 3\n";
    auto problems = problems_of(text, [](const toml::table& doc, ProblemLog& log) {
        TableReader r(doc, "", log);
        EXPECT_EQ(r.number("a"), std::nullopt);
        EXPECT_EQ(r.number("b", 0, 1e9), std::nullopt);
        EXPECT_EQ(r.number("c"), 3.0);  // an integer is a number too
    });
    EXPECT_EQ(problems, (Problems{
                            "t.toml:1: 'a' must be a finite number",
                            "t.toml:2: 'b' = -1.5 is out of range [0, 1e+09]",
                        }))
        << joined(problems);
}

// A document refused whole: one problem, starting with the line it names.
struct Refused {
    const char* name;
    std::string text;
    std::string problem_start;
};

class TomlDocumentRefused : public testing::TestWithParam<Refused> {};

TEST_P(TomlDocumentRefused, OneProblemAtItsLine) {
    ProblemLog log("t.toml");
    EXPECT_FALSE(parse_toml(GetParam().text, log));
    ASSERT_EQ(log.size(), 1u) << joined(log.in_file_order());
    EXPECT_EQ(log.in_file_order()[0].rfind(GetParam().problem_start, 0), 0u)
        << log.in_file_order()[0];
}

INSTANTIATE_TEST_SUITE_P(
    TomlDocument, TomlDocumentRefused,
    testing::Values(Refused{"SyntaxError", "a = 1\nb = = 2\n", "t.toml:2: "},
                    // 20,000 levels overflowed the stack inside toml++ before the bound existed.
                    Refused{"DeepDottedHeader", "x = 1\n" + deep_header(20000),
                            "t.toml:2: nested more than 32 levels deep (tables, arrays and "
                            "dotted keys); not read"},
                    Refused{"TooLarge", std::string(kMaxTomlBytes + 1, '#'), "t.toml:0: "}),
    [](const testing::TestParamInfo<Refused>& param) { return std::string(param.param.name); });

TEST(TomlDocument, EveryKindOfNestingCounts) {
    auto refused = [](const std::string& text) {
        ProblemLog log("t.toml");
        return !parse_toml(text, log) && log.size() == 1 &&
               log.in_file_order()[0].find("nested more than") != std::string::npos;
    };
    EXPECT_FALSE(refused(deep_header(32)));
    EXPECT_TRUE(refused(deep_header(33)));
    EXPECT_TRUE(refused("[[" + deep_header(32).substr(1, deep_header(32).size() - 2) + "]]\n"));
    std::string dotted_key = "a";
    for (int i = 0; i < 40; ++i) dotted_key += ".a";
    EXPECT_TRUE(refused(dotted_key + " = 1\n"));
    EXPECT_TRUE(refused("a = " + std::string(40, '[') + std::string(40, ']') + "\n"));
    std::string inline_tables = "a = ";
    for (int i = 0; i < 40; ++i) inline_tables += "{ b = ";
    inline_tables += "1" + std::string(40, '}') + "\n";
    EXPECT_TRUE(refused(inline_tables));
    // Dots and brackets in strings, comments and values are no nesting.
    ProblemLog log("t.toml");
    EXPECT_TRUE(parse_toml("a = \"" + std::string(100, '[') + "\" # " + std::string(100, '{') +
                               "\nb = [1.5, 2.5, 3.5]\n\"x.y.z\" = '''\n" + std::string(100, '.') +
                               "'''\nc = \"\"\"x \\\"\"\" " + std::string(100, '[') + "\"\"\"\n",
                           log))
        << joined(log.in_file_order());
}

TEST(ProblemLog, FileOrderWithOtherFilesFirst) {
    ProblemLog log("c.toml");
    log.add(9, "late");
    log.add(2, "early");
    log.add(9, "late too");
    log.add_other({"p.toml:4: a profile's"});
    EXPECT_EQ(log.in_file_order(),
              (std::vector<std::string>{"p.toml:4: a profile's", "c.toml:2: early",
                                        "c.toml:9: late", "c.toml:9: late too"}));
}
