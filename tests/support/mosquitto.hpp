#pragma once
// A real mosquitto broker for a test, on a free loopback port, started and stopped by the test
// (posix_spawn; no shell). Like the integration tests' harness: missing mosquitto skips the test
// on a developer's machine, and fails it in CI (CI=true), naming what is missing.
#include <sys/types.h>

#include <string>

#include "unit/test_support.hpp"

namespace sealwatch::test_support {

class Mosquitto {
  public:
    // The mosquitto program on PATH or in /usr/sbin, or "" when there is none.
    static std::string find_program();

    Mosquitto();  // writes the config; start() runs it
    ~Mosquitto();
    Mosquitto(const Mosquitto&) = delete;
    Mosquitto& operator=(const Mosquitto&) = delete;

    // Starts the broker (again, on the same port) and waits until it takes connections.
    // Returns "" or what went wrong.
    std::string start();
    void stop();    // SIGTERM, and waits for it
    void freeze();  // SIGSTOP: the broker keeps its sockets open and answers nothing
    void kill();    // SIGKILL (also ends a frozen broker), and waits for it
    int port() const { return port_; }

  private:
    void end(int signal);

    TempDir dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace sealwatch::test_support
