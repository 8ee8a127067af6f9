#include "support/fake_modbus.hpp"

namespace sealwatch::test_support {

using modbus::ErrorKind;
using modbus::ReadError;

FakeModbus::FakeModbus(ManualClock& clock, std::chrono::milliseconds response_timeout)
    : clock_(clock), response_timeout_(response_timeout) {}

void FakeModbus::set_registers(int id, modbus::Table table, uint16_t address,
                               const std::vector<uint16_t>& words) {
    auto& regs = unit(id).registers;
    for (size_t i = 0; i < words.size(); ++i)
        regs[{table, static_cast<uint16_t>(address + i)}] = words[i];
}

void FakeModbus::cut_link() {
    link_up_ = false;
    connected_ = false;
}

void FakeModbus::restore_link() {
    link_up_ = true;
}

tl::expected<void, ReadError> FakeModbus::connect() {
    if (connected_) return {};
    if (!link_up_) return tl::unexpected(ReadError{ErrorKind::link, 0, "connect: refused"});
    connected_ = true;
    ++connects_;
    return {};
}

void FakeModbus::disconnect() {
    connected_ = false;
}

bool FakeModbus::connected() const {
    return connected_;
}

tl::expected<std::vector<uint16_t>, ReadError> FakeModbus::read(int id, modbus::Table table,
                                                                uint16_t address, uint16_t count) {
    if (count == 0 || count > modbus::kMaxReadRegisters)
        return tl::unexpected(ReadError{ErrorKind::link, 0, "register count out of range"});
    if (auto ok = connect(); !ok) return tl::unexpected(ok.error());
    requests_.push_back({id, table, address, count, clock_.mono_ns()});

    auto found = units_.find(id);
    if (found == units_.end() || found->second.silent ||
        found->second.latency >= response_timeout_) {
        clock_.advance(response_timeout_);
        return tl::unexpected(ReadError{ErrorKind::timeout, 0, "no answer in time"});
    }
    const Unit& u = found->second;
    clock_.advance(u.latency);
    if (u.garbled) {
        connected_ = false;  // a TCP stream out of step is started afresh
        return tl::unexpected(ReadError{ErrorKind::bad_frame, 0, "garbled answer"});
    }
    if (u.exception != 0)
        return tl::unexpected(ReadError{ErrorKind::exception, u.exception, "refused"});
    std::vector<uint16_t> words(count, 0);
    for (uint16_t i = 0; i < count; ++i) {
        auto reg = u.registers.find({table, static_cast<uint16_t>(address + i)});
        if (reg != u.registers.end()) words[i] = reg->second;
    }
    return words;
}

std::string FakeModbus::describe() const {
    return "fake";
}

}  // namespace sealwatch::test_support
