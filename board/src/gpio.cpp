// The tamper switch on a GPIO line, through libgpiod 1.6 (the character device, not sysfs).
// Both edges are requested as events: the kernel queues them, so an opening shorter than the
// main loop's turn still shows. Events are read without the ACTIVE_LOW flag and inverted here,
// which keeps the meaning of rising/falling independent of kernel versions.
#include <gpiod.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "src/parts.hpp"

namespace sealwatch::board::detail {

namespace {

class GpioTamper final : public TamperInput {
  public:
    GpioTamper(gpiod_chip* chip, gpiod_line* line, bool active_low)
        : chip_(chip), line_(line), active_low_(active_low) {}
    ~GpioTamper() override {
        gpiod_line_release(line_);
        gpiod_chip_close(chip_);
    }
    GpioTamper(const GpioTamper&) = delete;
    GpioTamper& operator=(const GpioTamper&) = delete;

    Result<std::vector<bool>> changes() override {
        std::vector<bool> out;
        const struct timespec zero {};
        while (true) {
            int rc = gpiod_line_event_wait(line_, &zero);
            if (rc < 0) return fail(std::string("tamper GPIO: ") + std::strerror(errno));
            if (rc == 0) break;
            gpiod_line_event ev{};
            if (gpiod_line_event_read(line_, &ev) != 0)
                return fail(std::string("tamper GPIO: ") + std::strerror(errno));
            bool high = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
            out.push_back(high != active_low_);
        }
        return out;
    }
    Result<bool> open() override {
        int v = gpiod_line_get_value(line_);
        if (v < 0) return fail(std::string("tamper GPIO: ") + std::strerror(errno));
        return (v == 1) != active_low_;
    }
    bool present() const override { return true; }

  private:
    gpiod_chip* chip_;
    gpiod_line* line_;
    bool active_low_;
};

}  // namespace

Result<std::unique_ptr<TamperInput>> open_gpio_tamper(const std::string& chip_name, int line_no,
                                                      bool active_low) {
    if (line_no < 0) return fail("tamper: no GPIO line given");
    gpiod_chip* chip = gpiod_chip_open_lookup(chip_name.c_str());
    if (!chip) return fail("tamper: GPIO chip " + chip_name + ": " + std::strerror(errno));
    gpiod_line* line = gpiod_chip_get_line(chip, static_cast<unsigned>(line_no));
    if (!line) {
        int err = errno;
        gpiod_chip_close(chip);
        return fail("tamper: " + chip_name + " line " + std::to_string(line_no) + ": " +
                    std::strerror(err));
    }
    if (gpiod_line_request_both_edges_events_flags(line, "sealwatch-tamper", 0) != 0) {
        int err = errno;
        gpiod_chip_close(chip);
        return fail("tamper: cannot request " + chip_name + " line " + std::to_string(line_no) +
                    ": " + std::strerror(err));
    }
    return std::make_unique<GpioTamper>(chip, line, active_low);
}

}  // namespace sealwatch::board::detail
