// libFuzzer target: the analyze CSV reader (detect::replay_csv_text), fed any bytes as the CSV
// of `sealwatch analyze --csv`, replayed through a Detector on a fixed plant so that rows that
// parse reach the detectors too.
// Exported history is dirty by nature: it must end in counted dirt or one error, never a crash,
// a hang or undefined behaviour. The first byte picks strict or lenient reading.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"
#include "detect/detector.hpp"
#include "detect/replay.hpp"

namespace {

// The plant of the scenario test bypass_submeter: three meters, a sealed and an operating
// furnace, a balance.
constexpr const char* kPlant = SEALWATCH_SOURCE_DIR "/tests/scenarios/detect/bypass_submeter.toml";

const sealwatch::config::Config& plant() {
    static const sealwatch::config::Config cfg = [] {
        auto parsed = sealwatch::config::load(kPlant);
        if (!parsed) std::abort();  // the target's own config must load
        return std::move(*parsed);
    }();
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    sealwatch::detect::ReplayOptions options;
    options.strict = (data[0] & 1) != 0;
    std::string_view csv(reinterpret_cast<const char*>(data + 1), size - 1);
    sealwatch::detect::Detector detector(plant());
    auto stats = sealwatch::detect::replay_csv_text(
        csv, "fuzz.csv", detector, [](const sealwatch::Event&) {}, options);
    if (stats) (void)sealwatch::detect::describe_dirt(*stats, "fuzz.csv");
    return 0;
}
