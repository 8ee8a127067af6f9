// libFuzzer target: the agent's config reader (config::parse), fed any bytes as a sealwatch.toml.
// A hostile or corrupt config must end in problems, never a crash, a hang or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)sealwatch::config::parse(text, "fuzz.toml");
    return 0;
}
