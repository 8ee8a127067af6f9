#pragma once
// A scripted Modbus bus for unit tests, behind the same modbus::Client contract as the libmodbus
// client (tests/unit/test_modbus_contract.cpp holds both to it). Each unit has a register image
// and a way of answering; the time an answer takes is spent on the test's ManualClock instead of
// waited for, so a poller test sees the bus time a slow or dead meter costs without sleeping.
// Test-only: never linked into the programs.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modbus/client.hpp"
#include "support/manual_clock.hpp"

namespace sealwatch::test_support {

class FakeModbus final : public modbus::Client {
  public:
    // How one unit answers; change it between reads to script a meter's life.
    struct Unit {
        // Registers not set read 0, as the simulator's do.
        std::map<std::pair<modbus::Table, uint16_t>, uint16_t> registers;
        std::chrono::milliseconds latency{5};  // answers after this long (a timeout if too slow)
        bool silent = false;                   // never answers: every read times out
        int exception = 0;                     // answers every read with this exception code
        bool garbled = false;                  // answers with a broken frame
    };

    struct Request {
        int unit;
        modbus::Table table;
        uint16_t address;
        uint16_t count;
        MonoNs at;  // when it went out
    };

    explicit FakeModbus(ManualClock& clock, std::chrono::milliseconds response_timeout =
                                                std::chrono::milliseconds(800));

    // The unit's script, created (answering, all registers 0) on first use. A unit never named
    // is absent from the bus: its reads time out.
    Unit& unit(int id) { return units_[id]; }
    // Sets count registers from address.
    void set_registers(int id, modbus::Table table, uint16_t address,
                       const std::vector<uint16_t>& words);

    // The far end goes away: the connection drops and connects are refused until restore_link().
    void cut_link();
    void restore_link();

    int connects() const { return connects_; }  // successful connects so far
    const std::vector<Request>& requests() const { return requests_; }

    tl::expected<void, modbus::ReadError> connect() override;
    void disconnect() override;
    bool connected() const override;
    tl::expected<std::vector<uint16_t>, modbus::ReadError> read(int id, modbus::Table table,
                                                                uint16_t address,
                                                                uint16_t count) override;
    std::string describe() const override;

  private:
    ManualClock& clock_;
    std::chrono::milliseconds response_timeout_;
    std::map<int, Unit> units_;
    bool link_up_ = true;
    bool connected_ = false;
    int connects_ = 0;
    std::vector<Request> requests_;
};

}  // namespace sealwatch::test_support
