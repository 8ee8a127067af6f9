// The sim board: every part is a small text file in a folder the test owns, so a test (or a
// person commissioning a demo) reads what the agent did and sets what the hardware would say.
//   watchdog       written by the agent: "armed <feeds> <mono_ms>" per feed, "disarmed <feeds>" at
//                  a deliberate stop; a test sees feeding stop by the count standing still
//   tamper         read: "1" the enclosure is open, "0" or missing: closed
//   led            written: the pattern (off, ok, uplink_down, alarm)
//   clock_synced   read: "0" the wall clock is not synchronised, "1" or missing: synchronised
//   clock_offset_ms  read: milliseconds added to the real wall clock (fakes a clock jump)
//   watchdog_reset read: "1" says the last reset was the watchdog's
//   rs485          appended: one device per line that was put into RS-485 mode
//   usb            a folder (or a symlink to one, e.g. a loop-mounted image): an inspector's
//                  stick is plugged while it exists (usb_mounts, relative to the folder)
//   usb_write_ms   read: milliseconds each piece written to the stick takes (a slow stick)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "src/parts.hpp"

namespace sealwatch::board::detail {

namespace {

std::optional<std::string> read_file(const std::filesystem::path& p) {
    std::ifstream f(p);
    if (!f) return std::nullopt;
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Written whole through a temporary and a rename, so a reader never sees half a line.
Result<void> write_file(const std::filesystem::path& p, const std::string& text) {
    auto tmp = p;
    tmp += ".tmp";
    {
        std::ofstream f(tmp, std::ios::trunc);
        f << text << '\n';
        if (!f.flush()) return fail("sim board: cannot write " + tmp.string());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, p, ec);
    if (ec) return fail("sim board: " + p.string() + ": " + ec.message());
    return {};
}

class SimWatchdog final : public Watchdog {
  public:
    SimWatchdog(std::filesystem::path file, int timeout_s, bool reset)
        : file_(std::move(file)), timeout_s_(timeout_s), reset_(reset), base_(linux_clock()) {}
    Result<void> feed() override {
        if (disarmed_) return fail("watchdog disarmed");
        ++feeds_;
        return write_file(file_, "armed " + std::to_string(feeds_) + " " +
                                     std::to_string(base_->mono_now_ns() / 1000000));
    }
    Result<void> disarm() override {
        disarmed_ = true;
        return write_file(file_, "disarmed " + std::to_string(feeds_));
    }
    bool present() const override { return true; }
    bool caused_last_reset() const override { return reset_; }
    int timeout_s() const override { return timeout_s_; }

  private:
    std::filesystem::path file_;
    int timeout_s_;
    bool reset_;
    std::unique_ptr<Clock> base_;
    bool disarmed_ = false;
    uint64_t feeds_ = 0;
};

class SimTamper final : public TamperInput {
  public:
    explicit SimTamper(std::filesystem::path file) : file_(std::move(file)) {}
    Result<std::vector<bool>> changes() override {
        bool now = read_open();
        std::vector<bool> out;
        if (now != last_) out.push_back(now);
        last_ = now;
        return out;
    }
    Result<bool> open() override { return read_open(); }
    bool present() const override { return true; }

  private:
    bool read_open() const { return read_file(file_).value_or("0") == "1"; }
    std::filesystem::path file_;
    bool last_ = false;
};

class SimLed final : public StatusLed {
  public:
    explicit SimLed(std::filesystem::path file) : file_(std::move(file)) {}
    Result<void> show(LedPattern pattern) override { return write_file(file_, to_string(pattern)); }

  private:
    std::filesystem::path file_;
};

class SimClock final : public Clock {
  public:
    explicit SimClock(std::filesystem::path dir) : dir_(std::move(dir)), base_(linux_clock()) {}
    int64_t wall_now_ms() override {
        int64_t offset = 0;
        if (auto s = read_file(dir_ / "clock_offset_ms")) {
            try {
                offset = std::stoll(*s);
            } catch (...) {  // a half-edited file: no offset this turn
                offset = 0;
            }
        }
        return base_->wall_now_ms() + offset;
    }
    int64_t mono_now_ns() override { return base_->mono_now_ns(); }
    ClockInfo status() override {
        ClockInfo info;
        info.synchronized = read_file(dir_ / "clock_synced").value_or("1") != "0";
        info.est_error_us = info.synchronized ? 1000 : -1;
        return info;
    }

  private:
    std::filesystem::path dir_;
    std::unique_ptr<Clock> base_;
};

// A stick is plugged while its folder exists: a test plugs one with an atomic rename (or a
// symlink to a mounted filesystem) and pulls it by removing it.
class SimStickWatch final : public StickWatch {
  public:
    SimStickWatch(std::filesystem::path dir, const std::vector<std::string>& mounts)
        : dir_(std::move(dir)) {
        for (const auto& m : mounts) mounts_.push_back(dir_ / m);
    }
    Result<std::vector<std::string>> mounted() override {
        std::vector<std::string> out;
        for (const auto& m : mounts_) {
            std::error_code ec;
            if (std::filesystem::is_directory(m, ec)) out.push_back(m.string());
        }
        return out;
    }
    void pace_write() override {
        auto ms = read_file(dir_ / "usb_write_ms");
        if (!ms) return;
        try {
            std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(*ms)));
        } catch (...) {  // a half-edited file: full speed this piece
        }
    }

  private:
    std::filesystem::path dir_;
    std::vector<std::filesystem::path> mounts_;
};

}  // namespace

Result<Board> open_sim(const Settings& settings) {
    std::filesystem::path dir(settings.sim_dir);
    std::error_code ec;
    if (settings.sim_dir.empty() || !std::filesystem::is_directory(dir, ec))
        return fail("sim board: sim_dir \"" + settings.sim_dir + "\" is not a folder");
    Board b;
    b.settings = settings;
    b.clock = std::make_unique<SimClock>(dir);
    if (!settings.watchdog_device.empty())
        b.watchdog =
            std::make_unique<SimWatchdog>(dir / "watchdog", settings.watchdog_timeout_s,
                                          read_file(dir / "watchdog_reset").value_or("0") == "1");
    else
        b.watchdog = null_watchdog();
    if (!settings.tamper_chip.empty())
        b.tamper = std::make_unique<SimTamper>(dir / "tamper");
    else
        b.tamper = null_tamper();
    if (!settings.led.empty())
        b.led = std::make_unique<SimLed>(dir / "led");
    else
        b.led = null_led();
    b.sticks = std::make_unique<SimStickWatch>(dir, settings.usb_mounts);
    return b;
}

Result<void> sim_enable_rs485(const std::string& dir, const std::string& device) {
    std::ofstream f(std::filesystem::path(dir) / "rs485", std::ios::app);
    f << device << '\n';
    if (!f.flush()) return fail("sim board: cannot write " + dir + "/rs485");
    return {};
}

}  // namespace sealwatch::board::detail
