// What toml++ 3.3 must never see (tests/fuzz found each): a control character, a non-ASCII byte
// outside strings and comments, a [header] not starting with a key. Each is invalid TOML; each
// is refused at its line before toml++ runs, and valid text around them still reads. The fuzz
// findings themselves are replayed, so the asan preset (with UBSan) proves them harmless.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/problem_log.hpp"
#include "common/toml_document.hpp"

using namespace sealwatch;

namespace {

// The single problem parse_toml reported, or "" when it read the text.
std::string refusal(const std::string& text) {
    ProblemLog log("t.toml");
    if (parse_toml(text, log)) return "";
    EXPECT_EQ(log.size(), 1u);
    return log.empty() ? "(no problem logged)" : log.in_file_order()[0];
}

bool starts_with(const std::string& s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

}  // namespace

TEST(TomlTextGuard, ControlCharactersAreRefusedAtTheirLine) {
    for (const char c : {'\0', '\x01', '\x08', '\x0b', '\x0c', '\x1f', '\x7f'}) {
        const std::string r = refusal(std::string("a = 1\n[") + c + "]\n");
        EXPECT_TRUE(starts_with(r, "t.toml:2: control character 0x")) << r;
    }
    // Also inside strings and comments, where TOML forbids them as well.
    EXPECT_TRUE(starts_with(refusal(std::string("a = \"x\x01\"\n")), "t.toml:1: control"));
    EXPECT_TRUE(starts_with(refusal(std::string("# x\x7f\n")), "t.toml:1: control"));
    // Tab and both line ends are text.
    EXPECT_EQ(refusal("a\t= 1\r\nb = \"\t\"\n"), "");
}

TEST(TomlTextGuard, NonAsciiOnlyInStringsAndComments) {
    EXPECT_EQ(refusal("a = \"é 中\" # é 中\n\"é\" = 1\nb = '''\n中\n'''\n[\"中\"]\nc = 2\n"), "");
    for (const std::string text : {"é = 1\n", "a = 1\nb.é = 2\n", "a = é\n", "[é]\n", "[a.é]\n",
                                   "x = { é = 1 }\n", "a = [1, é]\n"}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("non-ASCII character outside a string or comment"), std::string::npos)
            << text << " -> " << r;
    }
    EXPECT_TRUE(starts_with(refusal("a = 1\n\nb = 中\n"), "t.toml:3: ")) << refusal("b = 中\n");
    // A byte order mark, as Windows editors write, is not text.
    EXPECT_EQ(refusal("\xEF\xBB\xBF"
                      "a = 1\n"),
              "");
}

TEST(TomlTextGuard, HeaderMustStartWithAKey) {
    for (const std::string text : {"[!]\n", "[\n", "[ \n", "[[\n", "[[[a]]]\n", "a = 1\n[=]\n",
                                   "[.a]\n", "[#]\n", "[", "[ "}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("a table header must start with a key"), std::string::npos)
            << text << " -> " << r;
    }
    EXPECT_EQ(refusal("[ a ]\n[[ b ]]\n[\t\"c d\".e]\n['f']\n"), "");
}

TEST(TomlTextGuard, EscapeBeforeNonAsciiIsRefused) {
    // toml++ issue #190: a line-ending backslash in a multi-line string, then U+00A7.
    for (const std::string text :
         {"s = \"\"\"\\\n\u00a7\"\"\"\n", "s = \"\"\"\\ \u00e9\"\"\"\n", "s = \"\\\u00e9\"\n"}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("backslash in a string followed by a non-ASCII"), std::string::npos)
            << text << " -> " << r;
    }
    EXPECT_EQ(refusal("s = \"\"\"\\\n  x \u00e9\"\"\"\nt = \"\\u00e9 \\\\\u00e9\"\n"), "");
}

TEST(TomlTextGuard, QuotesOnlyWhereAKeyOrValueStarts) {
    // toml++ reads these as bare words, past where a string would end, into what trips it.
    for (const std::string text :
         {"a = 1'x'\n", "a = 0\"\"\"x\"\"\"\n", "a\"b\" = 1\n", "[a\"b\"]\n", "a = \"x\"\"y\"\n"}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("a quote that starts no key and no value"), std::string::npos)
            << text << " -> " << r;
    }
    EXPECT_NE(refusal("a = 1+0=\"x\"\n").find("a second '='"), std::string::npos);
    EXPECT_EQ(refusal("\"a\".'b'.c = [\"x\", 'y', {d = \"z\"}, [\n  \"w\", # c\n  'v']]\n"
                      "[\"e\".'f']\n[['g'.\"h\"]]\n"),
              "");
}

TEST(TomlTextGuard, BracketsCloseWhatIsOpen) {
    // toml++ asserts on a '}' where an array's next value should be.
    for (const std::string text : {"e = [}\n", "e = {a = 1]\n", "e = 1]\n", "e = [1, 2}\n"}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("that closes nothing open"), std::string::npos) << text << " -> " << r;
    }
    EXPECT_EQ(refusal("[[a]]\nb = [[1], {c = {}}, []]\n[[a]]\n"), "");
}

TEST(TomlTextGuard, BareValuesHoldOnlyWhatValuesHave) {
    // fuzz_profile: toml++ 3.3 asserts scanning `2704-$)-$p`; fuzz_config: `05_1["…` was read
    // as a number running into an array and a string holding U+FEFF (unreachable reached).
    for (const std::string text : {"d = 2704-$)-$p 7,56\n", "a = 1$\n", "a = [1, 2)]\n",
                                   "a = {b = 1;}\n", "a = x/y\n", "[t] !\n"}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("in a value outside a string"), std::string::npos) << text << " -> " << r;
    }
    for (const std::string text : {"e_ = 05_1[\"\xEF\xBB\xBFsi-g \n", "a = 1{b = 2}\n"}) {
        const std::string r = refusal(text);
        EXPECT_NE(r.find("inside a value"), std::string::npos) << text << " -> " << r;
    }
    EXPECT_EQ(
        refusal("a = 1979-05-27 07:32:00.999+08:00\nb = [-inf, +nan, 0xDEAD_BEEF, 1e-3, true]\n"
                "c = [\n  [1, 2], # x\n  {d = 0o17, e = 0b1}, [\n 3]]\nf = 07:32:00\n"),
        "");
}

TEST(TomlTextGuard, SpaceInAValueOnlyBetweenDateAndTime) {
    // fuzz_profile: toml++ 3.3 takes a date-shaped word, a space and a digit for a date-time and
    // asserts when the value ends after the digit (at a comment, a comma, a blank, a line end).
    for (const std::string text :
         {"D= 7247-07-7- 2#", "d = 1979-05-27 0#\n", "d = 1979-05-27 0 \n",
          "d = [1979-05-27 0,1]\n", "d = 1979-05-27 0\n", "d = {e = 1979-05-27 0}\n",
          "d = 1979_-05-27 0#\n",
          // Invalid TOML of the same shape: two bare words, two blanks, a tab, no hour.
          "a = 1 2\n", "a = true false\n", "a = [1 2]\n", "d = 1979-05-27  07:32:00\n",
          "d = 1979-05-27\t07:32:00\n", "d = 1979-05-27 07:32:00 Z\n", "d = 1979-05-27 7:32:00\n",
          "d = 1979-5-27 07:32:00\n", "d = 19790-5-27 07:32:00\n", "[t] 1979-05-27 0#\n"}) {
        const std::string r = refusal(text);
        EXPECT_TRUE(starts_with(r, "t.toml:1: a space inside a value outside a string"))
            << text << " -> " << r;
    }
    EXPECT_TRUE(starts_with(refusal("a = 1\nb = [\n  1,\n  2 3]\n"), "t.toml:4: a space inside"));
    // TOML's date-time with a space for its 'T' still reads, with a zone, an offset, a fraction
    // or none, in an array or an inline table, followed by blanks, a comma or a comment.
    EXPECT_EQ(refusal("t = 1979-05-27 07:32:00Z\nu = 1979-05-27 00:32:00.999999-07:00\n"
                      "v = 1979-05-27 07:32:00 # local\nw = [1979-05-27 07:32:00 , 1979-05-27]\n"
                      "x = {y = 1979-05-27 07:32:00+08:00}\nz = 1979-05-27 # a date alone\n"),
              "");
    // A throwaway harness of random date-time pieces: toml++ 3.3 asserts (parse_time) on a date
    // and a 'T' with no digit after it.
    for (const std::string text : {"d = 1979-05-27T:\n", "d = [1979-05-27t:00]\n",
                                   "d = 1979-05-27T+:\n", "d = 1979-05-27T\n"}) {
        const std::string r = refusal(text);
        EXPECT_TRUE(starts_with(r, "t.toml:1: a date and '")) << text << " -> " << r;
    }
    EXPECT_EQ(refusal("t = 1979-05-27T07:32:00Z\nu = 1979-05-27t07:32:00\nv = 1979-05-27\n"), "");
    // What follows a well-formed `hh:` is toml++'s to judge (and it does, without asserting).
    EXPECT_NE(refusal("d = 1979-05-27 07:#\n"), "");
    EXPECT_NE(refusal("d = 1979-05-27 07:3x\n"), "");
    EXPECT_NE(refusal("d = 1979-05-27T07:\n"), "");
}

TEST(TomlTextGuard, FuzzFindingsAreRefusedCleanly) {
    const std::filesystem::path findings =
        std::filesystem::path(SEALWATCH_SOURCE_DIR) / "tests/fuzz/findings";
    int replayed = 0;
    // The TOML targets' findings; the other targets' are replayed by their own tests.
    for (const char* target : {"config", "profile"}) {
        for (const auto& entry : std::filesystem::directory_iterator(findings / target)) {
            if (!entry.is_regular_file()) continue;
            std::ifstream in(entry.path(), std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            ProblemLog log(entry.path().filename().string());
            EXPECT_FALSE(parse_toml(text.str(), log)) << entry.path();
            EXPECT_EQ(log.size(), 1u) << entry.path();
            ++replayed;
        }
    }
    EXPECT_GE(replayed, 2) << "the findings folder moved?";
}
