#pragma once
// Reading a DL/T 645 meter: one request per data identifier of its profile (the protocol reads
// one identifier at a time), each value decoded from its BCD digits into the canonical
// quantity. The meter's address is its identity; it has no serial register to read. Its own
// event counts are read on request (the poller asks at their slower interval): the counts
// every meter has, and those of the identifier family it answers, probed in the profile's
// order and remembered. When a count is new to this run or has moved, the event's latest record
// is read for the time it happened, where the profile knows the record's format.
#include <memory>

#include "dlt645/client.hpp"
#include "poll/meter_reader.hpp"

namespace sealwatch::poll {

class Dlt645Reader final : public MeterReader {
  public:
    explicit Dlt645Reader(dlt645::Client& client) : client_(client) {}
    explicit Dlt645Reader(std::unique_ptr<dlt645::Client> client)
        : owned_(std::move(client)), client_(*owned_) {}

    MeterRead read(const MeterPlan& plan, bool with_serial) override;
    EventCountRead read_event_counts(const MeterPlan& plan, EventCountMemory& memory) override;
    void disconnect() override { client_.disconnect(); }
    std::string describe() const override { return client_.describe(); }

  private:
    enum class Answer { counted, lacking, unreadable, failed };
    // One count, the sum over its identifiers; `reason` says why when failed.
    Answer read_count(const MeterPlan& plan, const dlt645::EventCount& count, uint64_t& sum,
                      std::string& reason);
    // When the latest of `count`'s records says it happened; nullopt when they give no time
    // (said once in `notes`, and not asked again) or the line failed (asked again next time).
    std::optional<WallMs> read_record_time(const MeterPlan& plan, const dlt645::EventCount& count,
                                           EventCountMemory& memory,
                                           std::vector<std::string>& notes);
    // The counts of `family` ("" for the common ones) into `out`, skipping what the meter
    // lacks; `answered` tells whether any count of it was there.
    bool read_family(const MeterPlan& plan, const std::string& family, EventCountMemory& memory,
                     EventCountRead& out, bool& answered);

    std::unique_ptr<dlt645::Client> owned_;
    dlt645::Client& client_;
};

}  // namespace sealwatch::poll
