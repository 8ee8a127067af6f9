#pragma once
// A real PostgreSQL server for the unit tests (tests/support/pg-instance.sh), shared by every
// test of one process: the server ctest's fixture started (its folder in SEALWATCH_TEST_PG_DIR;
// tests/CMakeLists.txt), or else one this process starts on first use in a temporary folder and
// stops at exit (`unit_tests` run by hand). Each test works in a database of its own.
//
// Without PostgreSQL's server programs the tests that need one skip on a developer's machine
// and fail in CI (CI=true), saying what is missing: postgres_unavailable() gives the words.
#include <string>

namespace sealwatch::test_support {

class Postgres {
  public:
    // This process's server, started on the first call.
    static Postgres& shared();

    // "" when the server answers; otherwise why not (PostgreSQL not installed, failed to start).
    const std::string& problem() const { return problem_; }

    // A new, empty database; its libpq conninfo. Names are unique per process and call.
    std::string create_database();
    void drop_database(const std::string& conninfo);
    // Cuts every connection to the database of `conninfo` (pg_terminate_backend), as a server
    // restart or a network failure would, without disturbing the other tests' databases.
    void cut_connections(const std::string& conninfo);

  private:
    Postgres();
    ~Postgres();
    std::string admin(const std::string& sql);  // "" or the error

    std::string dir_;   // the server's folder
    bool own_ = false;  // started by this process (and stopped by it)
    std::string base_;  // conninfo without dbname
    std::string problem_;
    int next_ = 0;
};

// What a test that needs PostgreSQL says when there is none: "" when there is one. The caller:
//   if (auto why = postgres_unavailable(); !why.empty()) { if (in_ci()) FAIL() << why;
//                                                          GTEST_SKIP() << why; }
std::string postgres_unavailable();
bool in_ci();

}  // namespace sealwatch::test_support
