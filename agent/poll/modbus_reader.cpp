#include "poll/modbus_reader.hpp"

#include <cmath>

#include "common/quantities.hpp"

namespace sealwatch::poll {

namespace {

std::string error_text(const modbus::ReadError& e) {
    std::string s(modbus::to_string(e.kind));
    if (e.kind == modbus::ErrorKind::exception) s += " " + std::to_string(e.exception_code);
    return s + " (" + e.message + ")";
}

std::string serial_text(double v) {
    if (std::isfinite(v) && v >= 0 && v < 1e18 && v == std::floor(v))
        return std::to_string(static_cast<long long>(v));
    return std::to_string(v);
}

}  // namespace

MeterRead ModbusReader::read(const MeterPlan& plan, bool with_serial) {
    MeterRead result;
    bool any_answer = false;
    for (const auto& block : plan.blocks) {
        auto regs = client_.read(plan.meter.unit, block.table, block.address, block.count);
        if (!regs) {
            const auto& e = regs.error();
            result.reason = error_text(e);
            if (e.kind != modbus::ErrorKind::exception) {
                result.outcome = Outcome::failed;
                result.link_failed = e.kind == modbus::ErrorKind::link;
                result.values.clear();
                return result;
            }
            // The meter refused this block (profile mismatch?): it is alive; keep the rest.
            result.outcome = Outcome::refused;
            continue;
        }
        any_answer = true;
        for (const auto& field : plan.profile.fields) {
            if (field.table != block.table) continue;
            int n = modbus::register_count(field.encoding.type);
            if (field.address < block.address || field.address + n > block.address + block.count)
                continue;
            auto v = profiles::field_value(
                field, std::span<const uint16_t>(regs->data() + (field.address - block.address),
                                                 static_cast<size_t>(n)));
            // Profiles are validated against the same list, so the lookup does not miss.
            if (v)
                result.values.push_back(
                    {static_cast<uint8_t>(find_quantity(field.quantity).value_or(0xff)), *v});
        }
    }
    if (with_serial && plan.profile.serial) {
        const auto& f = *plan.profile.serial;
        auto n = static_cast<uint16_t>(modbus::register_count(f.encoding.type));
        auto regs = client_.read(plan.meter.unit, f.table, f.address, n);
        if (regs) {
            if (auto v = profiles::field_value(f, *regs)) result.serial = serial_text(*v);
        } else if (regs.error().kind != modbus::ErrorKind::exception) {
            result.outcome = Outcome::failed;
            result.link_failed = regs.error().kind == modbus::ErrorKind::link;
            result.reason = error_text(regs.error());
            result.values.clear();
            return result;
        }
    }
    if (!any_answer && result.outcome == Outcome::refused) result.values.clear();
    return result;
}

}  // namespace sealwatch::poll
