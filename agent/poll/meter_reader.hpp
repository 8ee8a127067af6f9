#pragma once
// Reading one meter once, whatever protocol its bus speaks: the seam under BusPoller. A reader
// turns its protocol's answers into canonical quantities (decoded once, here), so everything
// above (detection, store, uplink) is the same for every bus. Implementations:
// ModbusReader (poll/modbus_reader.hpp) and Dlt645Reader (poll/dlt645_reader.hpp). One reader
// per bus, driven by the bus's one thread.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dlt645/frame.hpp"
#include "modbus/block_plan.hpp"
#include "model/event_counts.hpp"
#include "model/reading.hpp"
#include "poll/schedule.hpp"
#include "profiles/profile.hpp"

namespace sealwatch::poll {

// Everything needed to poll one meter, resolved from the config once.
struct MeterPlan {
    config::Meter meter;
    profiles::Profile profile;
    std::vector<modbus::Block> blocks;  // Modbus: the register reads
    dlt645::Address address{};          // DL/T 645: the meter's address
};

// What one poll of one meter brought.
struct MeterRead {
    Outcome outcome = Outcome::ok;  // failed: no usable answer; refused: alive but said no
    std::string reason;             // why, when not ok
    // The line itself failed (connect refused or timed out, closed by the far end), not just
    // this meter: every meter on the bus is cut off until it is back.
    bool link_failed = false;
    std::vector<QuantityValue> values;
    std::optional<std::string> serial;
};

// What the poller has learnt of one meter's event counts, kept for as long as it runs, so that
// a meter is not asked again and again what it has said it lacks. A restart (or a reload)
// asks afresh: the meter may have been exchanged for another model meanwhile.
struct EventCountMemory {
    bool probed = false;         // the identifier family is settled (one answered, or none did)
    std::string family;          // the family that answered; empty: none (only common counts)
    std::set<uint32_t> lacking;  // identifiers answered with "no such data"
    // Last count read per count identifier: a record is read when its count is new to this
    // run or moved, not at every read.
    std::map<uint32_t, uint64_t> counts;
    // Counts whose records gave no time (an error reply, or no valid time in them): not asked
    // again while the agent runs, said once.
    std::set<uint32_t> no_record_time;
};

// What one read of a meter's event counts brought.
struct EventCountRead {
    Outcome outcome = Outcome::ok;  // failed: the read broke off (silence, noise); no counts
    std::string reason;             // why, when failed
    std::string family;
    std::vector<MeterEventCount> counts;
    std::vector<std::string> notes;  // to log once: a meter's records that give no time
};

class MeterReader {
  public:
    virtual ~MeterReader() = default;
    // Reads the meter's quantities (and its identity, when asked and the profile has one).
    virtual MeterRead read(const MeterPlan& plan, bool with_serial) = 0;
    // Reads the meter's own event counts that its profile declares. A protocol whose profiles
    // declare none reads none: no Modbus profile does (shared/meters.md gives no maker's
    // event-count registers; docs/profiles.md).
    virtual EventCountRead read_event_counts(const MeterPlan& /*plan*/,
                                             EventCountMemory& /*memory*/) {
        return {};
    }
    virtual void disconnect() = 0;
    virtual std::string describe() const = 0;  // the line, for logs
};

}  // namespace sealwatch::poll
