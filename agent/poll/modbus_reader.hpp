#pragma once
// Reading a Modbus meter: the profile's register blocks, then its serial register when asked.
#include <memory>

#include "modbus/client.hpp"
#include "poll/meter_reader.hpp"

namespace sealwatch::poll {

class ModbusReader final : public MeterReader {
  public:
    explicit ModbusReader(modbus::Client& client) : client_(client) {}  // the caller's client
    explicit ModbusReader(std::unique_ptr<modbus::Client> client)
        : owned_(std::move(client)), client_(*owned_) {}

    MeterRead read(const MeterPlan& plan, bool with_serial) override;
    void disconnect() override { client_.disconnect(); }
    std::string describe() const override { return client_.describe(); }

  private:
    std::unique_ptr<modbus::Client> owned_;
    modbus::Client& client_;
};

}  // namespace sealwatch::poll
