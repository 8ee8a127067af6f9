#pragma once
// Reading a DL/T 645 meter: one request per data identifier of its profile (the protocol reads
// one identifier at a time), each value decoded from its BCD digits into the canonical
// quantity. The meter's address is its identity; it has no serial register to read.
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
    void disconnect() override { client_.disconnect(); }
    std::string describe() const override { return client_.describe(); }

  private:
    std::unique_ptr<dlt645::Client> owned_;
    dlt645::Client& client_;
};

}  // namespace sealwatch::poll
