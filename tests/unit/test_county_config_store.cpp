// sealwatch-county's [store] table (docs/county.md): SQLite unless told, PostgreSQL with a URL
// that libpq can parse, each problem at its line.
#include <gtest/gtest.h>

#include "county/config.hpp"
#include "county/store/open_store.hpp"

using namespace sealwatch;
using county::Storage;

namespace {

const std::string kBroker = "[broker]\ninsecure = true\n";  // lines 1-2

county::Problems problems_of(const std::string& text) {
    auto r = county::parse(text, "c.toml");
    if (r) return {};
    return r.error();
}

}  // namespace

TEST(CountyConfigStore, SqliteInDataDirUnlessTold) {
    auto r = county::parse("[county]\ndata_dir = \"/srv/c\"\n" + kBroker, "c.toml");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->store.kind, Storage::Kind::sqlite);
    EXPECT_EQ(county::store_location(*r), "/srv/c/county.db");
    r = county::parse(kBroker + "[store]\nkind = \"sqlite\"\n", "c.toml");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->store.kind, Storage::Kind::sqlite);
}

TEST(CountyConfigStore, PostgresqlTakesAUriOrKeyValuePairs) {
    for (const std::string url :
         {"postgresql://sealwatch@db1.example,db2.example/county?target_session_attrs=read-write",
          "host=/run/postgresql port=5433 dbname=county user=sealwatch"}) {
        auto r = county::parse(kBroker + "[store]\nkind = \"postgresql\"\nurl = \"" + url + "\"\n",
                               "c.toml");
        ASSERT_TRUE(r) << r.error().front();
        EXPECT_EQ(r->store.kind, Storage::Kind::postgresql);
        EXPECT_EQ(r->store.url, url);
    }
    auto r = county::parse(kBroker +
                               "[store]\nkind = \"postgresql\"\n"
                               "url = \"postgresql://li:secret@db.example:5433/county\"\n",
                           "c.toml");
    ASSERT_TRUE(r);
    // For the log: where, never the password.
    EXPECT_EQ(county::store_location(*r), "PostgreSQL database county on db.example:5433 as li");
}

TEST(CountyConfigStore, ProblemsNameTheirLine) {
    auto ps = problems_of(kBroker + "[store]\nkind = \"mysql\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0],
              "c.toml:4: 'kind' in [store] must be \"sqlite\" or \"postgresql\", not \"mysql\"");

    ps = problems_of(kBroker + "[store]\nkind = \"postgresql\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("c.toml:3: [store] kind = \"postgresql\" needs 'url'", 0), 0u) << ps[0];

    ps = problems_of(kBroker + "[store]\nurl = \"postgresql://db/county\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("c.toml:4: 'url' in [store] is for kind = \"postgresql\"", 0), 0u)
        << ps[0];

    ps = problems_of(kBroker + "[store]\nkind = \"postgresql\"\nurl = \"host=db dbnme=county\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("c.toml:5: 'url' in [store] is not a PostgreSQL connection string: ", 0),
              0u)
        << ps[0];
    EXPECT_NE(ps[0].find("dbnme"), std::string::npos) << ps[0];

    ps = problems_of(kBroker +
                     "[store]\nkind = \"postgresql\"\nurl = \"postgresql://db/c\"\n"
                     "uri = \"x\"\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].rfind("c.toml:6: unknown key 'uri' in [store] (expected one of: kind, url)", 0),
              0u)
        << ps[0];
}
