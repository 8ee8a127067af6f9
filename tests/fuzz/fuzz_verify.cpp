// libFuzzer target: the evidence bundle reader behind `sealwatch verify` (evidence::verify_bundle),
// fed a whole bundle folder made from the input. An inspector verifies bundles that passed
// through the plant operator's hands: a hostile bundle must end in NOT INTACT with a reason,
// never a crash, a hang or undefined behaviour.
// Input: the files' contents separated by the byte 0x1E, in the order of kFiles (missing ones
// are absent). The manifest is signed again by the target's own key when it is a JSON object,
// so that the fuzzer gets past the signature into the chain walk, the rows and the file list.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chain/crypto.hpp"
#include "evidence/bundle.hpp"

using namespace sealwatch;
namespace fs = std::filesystem;

namespace {

constexpr const char* kFiles[] = {"manifest.json",        "chain.csv",
                                  "readings.csv",         "events.jsonl",
                                  "context/readings.csv", "context/events.jsonl"};

const chain::SigningKey& gateway_key() {
    static const chain::SigningKey key = [] {
        auto k = chain::SigningKey::generate();
        if (!k) std::abort();
        return std::move(*k);
    }();
    return key;
}

// One folder per process, emptied before every input.
const fs::path& bundle_dir() {
    static const fs::path dir = [] {
        auto d = fs::temp_directory_path() / ("fuzz_verify." + std::to_string(getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

std::string signed_manifest(std::string_view text) {
    auto j = nlohmann::ordered_json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::string(text);
    j.erase("signature");
    j["public_key"] = chain::base64(gateway_key().public_key());
    auto sig = gateway_key().sign(j.dump());
    if (!sig) std::abort();
    j["signature"] = chain::base64(*sig);
    return j.dump();
}

void write_file(const fs::path& path, std::string_view bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto& dir = bundle_dir();
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char* name : kFiles) {
        if (input.empty()) break;
        const auto end = input.find('\x1e');
        auto part = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        write_file(dir / name, name == std::string_view("manifest.json") ? signed_manifest(part)
                                                                         : std::string(part));
    }
    const bool pinned = size > 0 && (data[size - 1] & 1) != 0;
    auto report = evidence::verify_bundle(
        dir.string(), pinned ? std::optional(gateway_key().public_key()) : std::nullopt);
    if (!report.ok && report.problem.empty()) __builtin_trap();  // a failure always says why
    return 0;
}
