#include "cli/meter_verbs.hpp"

#include <iostream>

#include "config/config.hpp"
#include "dlt645/discover.hpp"
#include "poll/bus_poller.hpp"

namespace sealwatch::cli {

int run_meter_discover(const std::string& config_path, const std::string& bus_id) {
    auto cfg = config::load(config_path);
    if (!cfg) {
        for (const auto& p : cfg.error()) std::cerr << p << '\n';
        return 2;
    }
    const config::Bus* bus = cfg->find_bus(bus_id);
    if (!bus) {
        std::cerr << config_path << ": no bus \"" << bus_id << "\"\n";
        return 2;
    }
    if (bus->kind != config::BusKind::dlt645) {
        std::cerr << "bus \"" << bus_id
                  << "\" is not a dlt645 bus: discovery uses the DL/T 645 read-address command "
                     "(Modbus meters are found by their unit id)\n";
        return 2;
    }
    auto client = poll::make_dlt645_client(*bus);
    auto address = dlt645::discover_address(*client);
    if (!address) {
        std::cerr << "bus " << bus_id << ": " << address.error() << '\n';
        return 1;
    }
    const std::string digits = dlt645::to_string(*address);
    std::cout << digits << "\n\n"
              << "[[meter]]\n"
              << "id = \"meter-" << digits.substr(digits.size() - 4) << "\"\n"
              << "bus = \"" << bus_id << "\"\n"
              << "address = \"" << digits << "\"\n"
              << "profile = \"dlt645-2007\"\n";
    return 0;
}

}  // namespace sealwatch::cli
