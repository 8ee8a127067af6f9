#include "poll/dlt645_reader.hpp"

#include <cstdio>

#include "common/quantities.hpp"
#include "dlt645/data_map.hpp"

namespace sealwatch::poll {

MeterRead Dlt645Reader::read(const MeterPlan& plan, bool /*with_serial*/) {
    MeterRead result;
    bool any_answer = false;
    for (const dlt645::Field& field : plan.profile.identifiers.fields) {
        auto reply = client_.exchange(dlt645::read_request(plan.address, field.id));
        if (!reply) {
            // Silence, a garbled line or another meter answering: this poll has failed; the
            // next identifiers would only pay the same timeout again.
            result.outcome = Outcome::failed;
            result.reason = std::string(dlt645::to_string(reply.error().kind)) + " (" +
                            reply.error().message + ")";
            result.values.clear();
            return result;
        }
        if (reply->refused) {
            // "No such data": this meter lacks the identifier (profile mismatch?); it is alive.
            result.outcome = Outcome::refused;
            char id[9];
            std::snprintf(id, sizeof id, "%08X", static_cast<unsigned>(field.id));
            result.reason = "error reply to " + std::string(id) + " (" +
                            dlt645::describe_error(reply->error) + ")";
            continue;
        }
        any_answer = true;
        if (auto v = dlt645::field_value(field, reply->value))
            result.values.push_back(
                {static_cast<uint8_t>(find_quantity(field.quantity).value_or(0xff)), *v});
    }
    // Some identifiers refused, others answered: the answered ones count as a good poll.
    if (any_answer) result.outcome = Outcome::ok;
    return result;
}

}  // namespace sealwatch::poll
