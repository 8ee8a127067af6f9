#pragma once
// The simulated meters of a run and the one decision every listener asks for: how does unit U
// on listener L answer this request at simulated time t? Thread-safe (one mutex): listener
// threads call answer(), the main thread calls reload().
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dlt645/frame.hpp"
#include "profiles/catalog.hpp"
#include "sim/meter_model.hpp"
#include "sim/scenario.hpp"

namespace sealwatch::sim {

struct Request {
    uint8_t unit = 0;
    uint8_t function = 0;
    uint16_t address = 0;
    uint16_t count = 0;
    bool well_formed = true;  // false: the PDU length does not fit the function code
};

struct Decision {
    enum class Kind {
        unknown_unit,  // no meter with that unit on this listener (TCP: exception 0x0B; RTU:
                       // silence)
        silent,        // the meter does not answer (fault)
        exception,     // Modbus exception `exception`
        registers,     // `words`, starting at the request's address
    };
    Kind kind = Kind::silent;
    int exception = 0;
    std::vector<uint16_t> words;
    int delay_ms = 0;        // send this much later (real time)
    bool corrupt = false;    // garble the frame
    bool drop_link = false;  // close the connection instead of answering (TCP; serial: silent)
    std::string meter;       // meter id, for logs
};

// How a DL/T 645 line answers one request frame.
struct Dlt645Decision {
    enum class Kind {
        nobody,   // no meter at that address on this listener: silence, as on a real bus
        silent,   // the meter does not answer (fault)
        reply,    // `bytes`, the reply frame (corrupted or from a wrong address if so scripted)
        garbage,  // `bytes` of line noise (fault; or several meters answering the wildcard)
    };
    Kind kind = Kind::nobody;
    std::vector<uint8_t> bytes;
    int delay_ms = 0;
    std::string meter;
};

class Simulation {
  public:
    // The scenario must have passed check_scenario() against the same catalog. The meters'
    // clocks show `clock_origin` (Unix seconds) at simulated time 0 (SimClock::wall_origin()).
    Simulation(const Scenario& scenario, const profiles::Catalog& catalog, double clock_origin);

    Decision answer(std::string_view listener, const Request& request, double now);
    Dlt645Decision answer_dlt645(std::string_view listener, const dlt645::Frame& request,
                                 double now);

    // Swaps in a new scenario at simulated time `now`: meters keep their counters and serials
    // by id; new meters start counting now; meters gone from the file are dropped. The new
    // scenario must have passed check_scenario().
    void reload(const Scenario& scenario, const profiles::Catalog& catalog, double now);

    // "id unit N profile P on L1,L2" lines, for the start-up log.
    std::vector<std::string> describe() const;

    // Values of one meter at now (tests, logs); empty when no such meter.
    Values values(std::string_view meter_id, double now);

  private:
    struct Meter {
        MeterModel model;
        profiles::Profile profile;
        std::vector<std::string> listeners;
    };
    Meter make_meter(const MeterSpec& spec, const profiles::Catalog& catalog, double start) const;

    mutable std::mutex mu_;
    // Listener ids by what they speak: a meter that names none is on all of its protocol's.
    std::vector<std::pair<std::string, profiles::Protocol>> all_listeners_;
    std::vector<std::string> default_listeners(const MeterSpec& spec) const;
    uint64_t seed_ = 1;
    uint64_t noise_state_ = 645;
    double clock_origin_ = 0.0;
    std::vector<Meter> meters_;
};

}  // namespace sealwatch::sim
