#include "support/postgres.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "county/store/pg.hpp"

namespace sealwatch::test_support {

namespace {

constexpr int kNotInstalled = 77;  // pg-instance.sh: PostgreSQL's programs are missing

// Runs pg-instance.sh VERB DIR; its exit status, its stdout in `out`.
int instance(const std::string& verb, const std::string& dir, std::string& out) {
    const std::string command =
        std::string("'") + SEALWATCH_PG_INSTANCE + "' " + verb + " '" + dir + "' 2>&1";
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return -1;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    const int status = ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string dbname_of(const std::string& conninfo) {
    const auto at = conninfo.rfind("dbname=");
    return at == std::string::npos ? "" : conninfo.substr(at + 7);
}

}  // namespace

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

Postgres& Postgres::shared() {
    static Postgres server;
    return server;
}

Postgres::Postgres() {
    if (const char* fixture = std::getenv("SEALWATCH_TEST_PG_DIR")) {
        std::ifstream f(std::string(fixture) + "/conninfo");
        std::string conninfo;
        if (std::getline(f, conninfo) && pg::Connection::open(conninfo)) {
            dir_ = fixture;
            base_ = conninfo.substr(0, conninfo.rfind(" dbname="));
            return;
        }
    }
    auto tmpl = (std::filesystem::temp_directory_path() / "sealwatch-pg-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
        problem_ = "cannot make a temporary folder for PostgreSQL";
        return;
    }
    dir_ = tmpl;
    own_ = true;
    std::string out;
    const int rc = instance("start", dir_, out);
    if (rc == kNotInstalled) {
        problem_ = "PostgreSQL is not installed (apt install postgresql): " + out;
    } else if (rc != 0) {
        problem_ = "tests/support/pg-instance.sh start failed: " + out;
    } else {
        base_ = out.substr(0, out.rfind(" dbname="));
    }
}

Postgres::~Postgres() {
    if (!own_) return;
    std::string out;
    instance("stop", dir_, out);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string Postgres::admin(const std::string& sql) {
    auto c = pg::Connection::open(base_ + " dbname=postgres");
    if (!c) return c.error().message;
    auto r = c->run(sql);
    return r ? "" : r.error().message;
}

std::string Postgres::create_database() {
    const std::string name = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++next_);
    if (auto why = admin("CREATE DATABASE " + name); !why.empty()) {
        problem_ = why;
        return {};
    }
    return base_ + " dbname=" + name;
}

void Postgres::drop_database(const std::string& conninfo) {
    admin("DROP DATABASE IF EXISTS " + dbname_of(conninfo) + " WITH (FORCE)");
}

void Postgres::cut_connections(const std::string& conninfo) {
    admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
          dbname_of(conninfo) + "'");
}

std::string postgres_unavailable() {
    return Postgres::shared().problem();
}

}  // namespace sealwatch::test_support
