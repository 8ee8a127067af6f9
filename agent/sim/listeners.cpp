#include "sim/listeners.hpp"

#include "common/text.hpp"

namespace sealwatch::sim {

std::vector<ListenerSpec> merge_listeners(const std::vector<ListenerSpec>& from_file,
                                          const std::vector<std::string>& tcp,
                                          const std::vector<std::string>& rtu,
                                          const SerialDefaults& serial,
                                          std::vector<std::string>& problems) {
    if (tcp.empty() && rtu.empty()) return from_file;
    std::vector<ListenerSpec> out;
    auto add = [&](const std::vector<std::string>& values, ListenerSpec::Kind kind,
                   const char* base) {
        std::vector<const ListenerSpec*> same_kind;
        for (auto& l : from_file)
            if (l.kind == kind) same_kind.push_back(&l);
        for (size_t i = 0; i < values.size(); ++i) {
            const std::string& value = values[i];
            ListenerSpec l;
            l.kind = kind;
            std::string address = value;
            auto eq = value.find('=');
            if (eq != std::string::npos) {
                l.id = value.substr(0, eq);
                address = value.substr(eq + 1);
                if (!is_valid_id(l.id)) {
                    problems.push_back("--" + std::string(base) + " " + value +
                                       ": the id must match [A-Za-z0-9_-]{1,64}");
                    continue;
                }
            } else if (i < same_kind.size()) {
                l.id = same_kind[i]->id;
                l.protocol = same_kind[i]->protocol;
                l.rtu_over_tcp = same_kind[i]->rtu_over_tcp;
            } else {
                l.id = i == 0 ? base : base + std::to_string(i + 1);
            }
            if (kind == ListenerSpec::Kind::tcp) {
                auto hp = parse_host_port(address);
                if (!hp) {
                    problems.push_back("--tcp " + value + ": expected HOST:PORT");
                    continue;
                }
                l.host = hp->first;
                l.port = hp->second;
            } else {
                if (address.empty()) {
                    problems.push_back("--rtu " + value + ": expected a device path");
                    continue;
                }
                l.device = address;
                l.baud = serial.baud;
                l.parity = serial.parity;
                l.data_bits = serial.data_bits;
                l.stop_bits = serial.stop_bits;
            }
            // An address for a listener of the file keeps what the file says it speaks, and how.
            for (auto& f : from_file)
                if (f.id == l.id && f.kind == kind) {
                    l.protocol = f.protocol;
                    l.rtu_over_tcp = f.rtu_over_tcp;
                }
            for (auto& prev : out)
                if (prev.id == l.id) problems.push_back("listener id '" + l.id + "' given twice");
            out.push_back(std::move(l));
        }
    };
    add(tcp, ListenerSpec::Kind::tcp, "tcp");
    add(rtu, ListenerSpec::Kind::rtu, "rtu");
    return out;
}

}  // namespace sealwatch::sim
