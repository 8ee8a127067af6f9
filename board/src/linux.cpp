// Linux parts: /dev/watchdog, sysfs LEDs, adjtimex, the RS-485 ioctl.
#include <fcntl.h>
#include <linux/serial.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include "src/parts.hpp"

namespace sealwatch::board::detail {

namespace {

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// The kernel watchdog API (Documentation/watchdog/watchdog-api.rst). Opening it arms it; a
// close without the magic 'V' leaves it armed, so a crash or a kill ends in a reset unless the
// process comes back (systemd restarts it) and opens it again in time.
class LinuxWatchdog final : public Watchdog {
  public:
    LinuxWatchdog(int fd, int timeout_s, bool card_reset)
        : fd_(fd), timeout_s_(timeout_s), card_reset_(card_reset) {}
    ~LinuxWatchdog() override {
        if (fd_ >= 0) ::close(fd_);  // no magic close: still armed
    }
    Result<void> feed() override {
        if (fd_ < 0) return fail("watchdog disarmed");
        if (::ioctl(fd_, WDIOC_KEEPALIVE, 0) != 0) return fail(errno_text("WDIOC_KEEPALIVE"));
        return {};
    }
    Result<void> disarm() override {
        if (fd_ < 0) return {};
        ssize_t n = ::write(fd_, "V", 1);
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        if (n != 1) return fail(std::string("watchdog magic close: ") + std::strerror(err));
        return {};
    }
    bool present() const override { return true; }
    bool caused_last_reset() const override { return card_reset_; }
    int timeout_s() const override { return timeout_s_; }

  private:
    int fd_;
    int timeout_s_;
    bool card_reset_;
};

// The LED's blinking is the kernel's timer trigger: the pattern stays right even when the loop
// is slow, and it needs no thread.
class SysfsLed final : public StatusLed {
  public:
    explicit SysfsLed(std::string dir) : dir_(std::move(dir)) {}
    Result<void> show(LedPattern pattern) override {
        switch (pattern) {
            case LedPattern::off:
                return set("none", "0", "", "");
            case LedPattern::ok:
                return set("none", "1", "", "");
            case LedPattern::uplink_down:  // slow blink, 1 Hz
                return set("timer", "", "500", "500");
            case LedPattern::alarm:  // fast blink, 4 Hz
                return set("timer", "", "125", "125");
            case LedPattern::stick_busy:  // flicker, 10 Hz: writing to the stick, do not pull
                return set("timer", "", "50", "50");
            case LedPattern::stick_done:  // on, dark for 0.2 s every 2 s: done, safe to pull
                return set("timer", "", "1800", "200");
            case LedPattern::stick_refused:  // a short flash every 2 s: nothing written
                return set("timer", "", "200", "1800");
        }
        return {};
    }

  private:
    Result<void> write(const std::string& file, const std::string& value) {
        std::ofstream f(dir_ + "/" + file);
        f << value;
        f.flush();
        if (!f) return fail("cannot write " + dir_ + "/" + file);
        return {};
    }
    Result<void> set(const std::string& trigger, const std::string& brightness,
                     const std::string& on, const std::string& off) {
        if (auto r = write("trigger", trigger); !r) return r;
        if (!brightness.empty())
            if (auto r = write("brightness", brightness); !r) return r;
        if (!on.empty()) {
            if (auto r = write("delay_on", on); !r) return r;
            if (auto r = write("delay_off", off); !r) return r;
        }
        return {};
    }
    std::string dir_;
};

class LinuxClock final : public Clock {
  public:
    int64_t wall_now_ms() override { return now(CLOCK_REALTIME) / 1000000; }
    int64_t mono_now_ns() override { return now(CLOCK_MONOTONIC); }
    // The kernel's synchronisation flag, as chrony/ntpd/systemd-timesyncd leave it: STA_UNSYNC
    // cleared and adjtimex() not returning TIME_ERROR means the clock is disciplined.
    ClockInfo status() override {
        struct timex tx;
        std::memset(&tx, 0, sizeof tx);
        int state = ::adjtimex(&tx);
        ClockInfo info;
        info.synchronized = state != -1 && state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
        info.est_error_us = info.synchronized ? static_cast<int64_t>(tx.esterror) : -1;
        return info;
    }

  private:
    static int64_t now(clockid_t id) {
        struct timespec ts {};
        ::clock_gettime(id, &ts);
        return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
    }
};

}  // namespace

Result<std::unique_ptr<Watchdog>> open_linux_watchdog(const std::string& device, int timeout_s) {
    int fd = ::open(device.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail(errno_text("cannot open " + device));
    int t = timeout_s;
    // Not every driver can set the timeout; then its own stands, and is read back.
    if (::ioctl(fd, WDIOC_SETTIMEOUT, &t) != 0) {
        t = 0;
        if (::ioctl(fd, WDIOC_GETTIMEOUT, &t) != 0) t = timeout_s;
    }
    int boot_status = 0;
    bool card_reset =
        ::ioctl(fd, WDIOC_GETBOOTSTATUS, &boot_status) == 0 && (boot_status & WDIOF_CARDRESET) != 0;
    return std::make_unique<LinuxWatchdog>(fd, t, card_reset);
}

Result<std::unique_ptr<StatusLed>> open_sysfs_led(const std::string& name) {
    std::string dir = name.find('/') == std::string::npos ? "/sys/class/leds/" + name : name;
    if (::access((dir + "/brightness").c_str(), W_OK) != 0)
        return fail(errno_text("LED " + dir + "/brightness"));
    return std::make_unique<SysfsLed>(dir);
}

std::unique_ptr<Clock> linux_clock() {
    return std::make_unique<LinuxClock>();
}

Result<void> linux_enable_rs485(const std::string& device, bool rts_on_send) {
    int fd = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(errno_text("cannot open " + device));
    struct serial_rs485 conf;
    std::memset(&conf, 0, sizeof conf);
    conf.flags =
        SER_RS485_ENABLED | (rts_on_send ? SER_RS485_RTS_ON_SEND : SER_RS485_RTS_AFTER_SEND);
    int rc = ::ioctl(fd, TIOCSRS485, &conf);
    int err = errno;
    ::close(fd);
    // The setting belongs to the port, not the file descriptor: it holds when libmodbus opens
    // the device again.
    if (rc != 0) return fail(device + ": kernel RS-485 mode (TIOCSRS485): " + std::strerror(err));
    return {};
}

}  // namespace sealwatch::board::detail
