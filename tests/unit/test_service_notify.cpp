// The service manager's notify protocol (daemon/service_notify.hpp) against a real unix datagram
// socket, bound here as systemd binds its own: what arrives is what the agent sent.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "daemon/service_notify.hpp"
#include "test_support.hpp"

using namespace sealwatch::daemon;
using sealwatch::test_support::TempDir;

namespace {

// Sets (or unsets, with nullopt) an environment variable for one test, and puts back what was
// there before: the variables are the protocol's whole input.
class EnvVar {
  public:
    EnvVar(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~EnvVar() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

// The manager's end: a bound datagram socket that does not block on an empty queue.
class Listener {
  public:
    // `name`: a path, or an abstract name given with its leading '@' (as in NOTIFY_SOCKET).
    explicit Listener(const std::string& name)
        : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, name.data(), name.size());
        if (name[0] == '@') addr.sun_path[0] = '\0';
        auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    }
    ~Listener() {
        if (fd_ >= 0) ::close(fd_);
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    bool bound() const { return bound_; }
    // The next datagram, or nullopt when none is queued.
    std::optional<std::string> next() {
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<size_t>(n));
    }

  private:
    int fd_;
    bool bound_ = false;
};

}  // namespace

TEST(ServiceNotify, OneDatagramPerNotificationToASocketPath) {
    TempDir dir;
    Listener manager(dir / "notify");
    ASSERT_TRUE(manager.bound());
    EnvVar socket("NOTIFY_SOCKET", dir / "notify");

    ASSERT_TRUE(service_notify::notify("READY=1\nSTATUS=running"));
    ASSERT_TRUE(service_notify::notify("WATCHDOG=1"));
    EXPECT_EQ(manager.next(), "READY=1\nSTATUS=running");
    EXPECT_EQ(manager.next(), "WATCHDOG=1");
    EXPECT_EQ(manager.next(), std::nullopt);
}

TEST(ServiceNotify, AbstractNameStartsWithAt) {
    // Unique per process: abstract names share one namespace across the machine's tests.
    std::string name = "@sealwatch-test-notify-" + std::to_string(::getpid());
    Listener manager(name);
    ASSERT_TRUE(manager.bound());
    EnvVar socket("NOTIFY_SOCKET", name);

    ASSERT_TRUE(service_notify::notify("STOPPING=1\nSTATUS=stopping"));
    EXPECT_EQ(manager.next(), "STOPPING=1\nSTATUS=stopping");
}

TEST(ServiceNotify, UnsetOrEmptySendsNothingAndSucceeds) {
    TempDir dir;
    Listener manager(dir / "notify");
    ASSERT_TRUE(manager.bound());
    {
        EnvVar socket("NOTIFY_SOCKET", std::nullopt);
        EXPECT_TRUE(service_notify::notify("READY=1"));
    }
    {
        EnvVar socket("NOTIFY_SOCKET", "");
        EXPECT_TRUE(service_notify::notify("READY=1"));
    }
    EXPECT_EQ(manager.next(), std::nullopt);
}

TEST(ServiceNotify, NoSocketThereIsAnErrorNotAnExit) {
    TempDir dir;
    EnvVar socket("NOTIFY_SOCKET", dir / "nobody-listens");
    auto r = service_notify::notify("READY=1");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("nobody-listens"), std::string::npos) << r.error().message;
}

TEST(ServiceNotify, NeitherPathNorAbstractNameIsAnError) {
    EnvVar socket("NOTIFY_SOCKET", "relative/notify");
    EXPECT_FALSE(service_notify::notify("READY=1"));
}

TEST(ServiceNotify, NameLongerThanASocketAddressIsAnError) {
    EnvVar socket("NOTIFY_SOCKET", "/" + std::string(sizeof(sockaddr_un::sun_path), 'x'));
    EXPECT_FALSE(service_notify::notify("READY=1"));
}

TEST(ServiceNotify, WatchdogUnsetIsNotWatched) {
    EnvVar usec("WATCHDOG_USEC", std::nullopt);
    EnvVar pid("WATCHDOG_PID", std::nullopt);
    auto w = service_notify::watchdog_timeout();
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, std::nullopt);
}

TEST(ServiceNotify, WatchdogUsecWithoutPidOrWithOurs) {
    EnvVar usec("WATCHDOG_USEC", "20000000");
    {
        EnvVar pid("WATCHDOG_PID", std::nullopt);
        auto w = service_notify::watchdog_timeout();
        ASSERT_TRUE(w && *w);
        EXPECT_EQ((*w)->count(), 20000000);
    }
    {
        EnvVar pid("WATCHDOG_PID", std::to_string(::getpid()));
        auto w = service_notify::watchdog_timeout();
        ASSERT_TRUE(w && *w);
        EXPECT_EQ((*w)->count(), 20000000);
    }
}

TEST(ServiceNotify, WatchdogForAnotherProcessIsNotOurs) {
    EnvVar usec("WATCHDOG_USEC", "20000000");
    EnvVar pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
    auto w = service_notify::watchdog_timeout();
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, std::nullopt);
}

TEST(ServiceNotify, BadWatchdogValuesDisableItWithAnError) {
    EnvVar pid("WATCHDOG_PID", std::nullopt);
    for (const char* bad : {"", "0", "-5", "abc", "20s", " 20", "18446744073709551615"}) {
        EnvVar usec("WATCHDOG_USEC", bad);
        EXPECT_FALSE(service_notify::watchdog_timeout()) << "WATCHDOG_USEC='" << bad << "'";
    }
    EnvVar usec("WATCHDOG_USEC", "20000000");
    for (const char* bad : {"", "0", "x1", "1.5"}) {
        EnvVar bad_pid("WATCHDOG_PID", bad);
        EXPECT_FALSE(service_notify::watchdog_timeout()) << "WATCHDOG_PID='" << bad << "'";
    }
}
