// Modbus acquisition saturation benchmark (docs/performance.md, "Modbus acquisition"): the
// agent's own Modbus client (protocols/modbus/client.hpp, libmodbus underneath) polling M meters
// of one profile on one Modbus TCP endpoint as fast as the endpoint answers, one request at a
// time (as a bus thread does), decoding every field as the poller does. No scheduler, store or
// MQTT: the ceiling of the acquisition path alone.
//
//   bench_modbus --port PORT [--host 127.0.0.1] [--units 32] [--profile eastron-sdm630]
//                [--seconds 10]
//
// Prints one JSON line: block reads/s, meter polls/s, and this process's CPU (utime+stime, from
// getrusage) per 1000 block reads and per 1000 meter polls. The server's CPU is not included;
// the script measures it separately.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "modbus/libmodbus_client.hpp"
#include "profiles/catalog.hpp"

namespace {

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

const char* arg_str(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace sealwatch;
    const char* port = arg_str(argc, argv, "--port", nullptr);
    if (!port) {
        std::fprintf(stderr,
                     "usage: bench_modbus --port PORT [--host H] [--units N] [--profile ID] "
                     "[--seconds S]\n");
        return 2;
    }
    const std::string host = arg_str(argc, argv, "--host", "127.0.0.1");
    const int units = std::atoi(arg_str(argc, argv, "--units", "32"));
    const double seconds = std::atof(arg_str(argc, argv, "--seconds", "10"));
    const std::string profile_id = arg_str(argc, argv, "--profile", "eastron-sdm630");

    auto catalog = profiles::Catalog::builtin();
    const auto* profile = catalog.find(profile_id);
    if (!profile) {
        std::fprintf(stderr, "bench_modbus: no profile %s\n", profile_id.c_str());
        return 2;
    }
    const auto blocks = profiles::plan_reads(*profile);

    modbus::LinkOptions opts;
    opts.response_timeout = std::chrono::milliseconds(800);
    modbus::LibmodbusClient client(modbus::TcpLink{host, std::atoi(port)}, opts);
    if (auto c = client.connect(); !c) {
        std::fprintf(stderr, "bench_modbus: connect: %s\n", c.error().message.c_str());
        return 1;
    }

    long reads = 0, polls = 0, errors = 0, values = 0;
    double checksum = 0;
    const double c0 = cpu_seconds();
    const auto w0 = std::chrono::steady_clock::now();
    const auto until = w0 + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
        for (int unit = 1; unit <= units; ++unit) {
            for (const auto& b : blocks) {
                auto regs = client.read(unit, b.table, b.address, b.count);
                ++reads;
                if (!regs) {
                    ++errors;
                    continue;
                }
                for (const auto& f : profile->fields) {
                    if (f.table != b.table) continue;
                    int n = modbus::register_count(f.encoding.type);
                    if (f.address < b.address || f.address + n > b.address + b.count) continue;
                    auto v = profiles::field_value(
                        f, std::span<const uint16_t>(regs->data() + (f.address - b.address),
                                                     static_cast<size_t>(n)));
                    if (v) {
                        ++values;
                        checksum += *v;
                    }
                }
            }
            ++polls;
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    const double cpu = cpu_seconds() - c0;
    std::printf(
        "{\"profile\":\"%s\",\"units\":%d,\"blocks_per_poll\":%zu,\"wall_s\":%.3f,\"cpu_s\":%.3f,"
        "\"block_reads\":%ld,\"meter_polls\":%ld,\"errors\":%ld,\"values\":%ld,"
        "\"block_reads_per_s\":%.0f,\"meter_polls_per_s\":%.0f,"
        "\"cpu_ms_per_1000_reads\":%.1f,\"cpu_ms_per_1000_polls\":%.1f,\"checksum\":%.0f}\n",
        profile_id.c_str(), units, blocks.size(), wall, cpu, reads, polls, errors, values,
        static_cast<double>(reads) / wall, static_cast<double>(polls) / wall,
        cpu * 1e6 / static_cast<double>(reads), cpu * 1e6 / static_cast<double>(polls), checksum);
    return errors == 0 ? 0 : 1;
}
