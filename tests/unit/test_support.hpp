#pragma once
// Helpers shared by the unit tests: a temporary folder that cleans up after itself, quantity
// indexes by name, a minimal reading, a minimal alarm, the head of a detector test's config, and a
// connection of its own to a store's database.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/quantities.hpp"
#include "model/event.hpp"
#include "model/reading.hpp"
#include "store/sqlite.hpp"

namespace sealwatch::test_support {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "sealwatch-test-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string operator/(const std::string& name) const { return (path / name).string(); }
    std::string db() const { return (path / "sw.db").string(); }
};

// The [gateway] and [uplink] tables of a config that the detector's tests parse: the gateway
// "gw" of site "s", a broker nobody connects to. Buses, meters and assets follow.
inline constexpr const char* kDetectorConfigHead = R"(
[gateway]
id = "gw"
site = "s"
data_dir = "/tmp/sw"
[uplink]
insecure = true
port = 1883
)";

// The index of a contract quantity; the tests name only real ones.
// (value() throws on a misspelt name, which fails the test that made it).
inline uint8_t q(std::string_view name) {
    return static_cast<uint8_t>(find_quantity(name).value());
}

// A reading with total power and the import counter, the two values most tests need.
inline Reading reading(const std::string& meter, WallMs ts, double p_w, double e_imp_kwh) {
    Reading r;
    r.meter = meter;
    r.wall_ms = ts;
    r.values = {{q("p_w"), p_w}, {q("e_imp_kwh"), e_imp_kwh}};
    return r;
}

// A second connection to a store's file, for what a test checks or breaks behind the store's
// back (the store itself has no door to raw SQL).
inline sqlite::Db raw_db(const std::string& path) {
    auto db = sqlite::Db::open(path);
    if (!db) throw std::runtime_error(path + ": " + db.error().message);
    return std::move(*db);
}

// A raised critical "reenergized" alarm of furnace-2 seen on m1 at ts.
inline Event reenergized(const std::string& id, WallMs ts) {
    Event e;
    e.id = id;
    e.type = "reenergized";
    e.state = EventState::raised;
    e.severity = Severity::critical;
    e.asset = "furnace-2";
    e.meter = "m1";
    e.ts = e.started = ts;
    return e;
}

}  // namespace sealwatch::test_support
