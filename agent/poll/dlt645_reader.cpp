#include "poll/dlt645_reader.hpp"

#include <cstdio>

#include "common/quantities.hpp"
#include "dlt645/data_map.hpp"
#include "dlt645/meter_time.hpp"

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

namespace {

std::string hex_id(dlt645::DataId id) {
    char text[9];
    std::snprintf(text, sizeof text, "%08X", static_cast<unsigned>(id));
    return text;
}

}  // namespace

Dlt645Reader::Answer Dlt645Reader::read_count(const MeterPlan& plan,
                                              const dlt645::EventCount& count, uint64_t& sum,
                                              std::string& reason) {
    sum = 0;
    for (dlt645::DataId id : count.ids) {
        auto reply = client_.exchange(dlt645::read_request(plan.address, id));
        if (!reply) {
            reason = std::string(dlt645::to_string(reply.error().kind)) + " (" +
                     reply.error().message + ") reading " + hex_id(id);
            return Answer::failed;
        }
        // An error reply is "no such data": the meter is alive and lacks this count.
        if (reply->refused) return Answer::lacking;
        auto n = dlt645::count_value(count, reply->value);
        if (!n) return Answer::unreadable;  // digits that are no digits: not this time
        sum += *n;
    }
    return Answer::counted;
}

std::optional<WallMs> Dlt645Reader::read_record_time(const MeterPlan& plan,
                                                     const dlt645::EventCount& count,
                                                     EventCountMemory& memory,
                                                     std::vector<std::string>& notes) {
    std::optional<int64_t> latest;
    std::string why;
    for (dlt645::DataId id : count.records) {
        auto reply = client_.exchange(dlt645::read_request(plan.address, id));
        // The line failed: the count stands without its time; the next poll judges the line.
        if (!reply) return std::nullopt;
        if (reply->refused) {
            why =
                "error reply to " + hex_id(id) + " (" + dlt645::describe_error(reply->error) + ")";
            continue;
        }
        // A phase that never had the event keeps an empty record: no time there.
        auto t = dlt645::record_time(count, reply->value);
        auto s = t ? dlt645::local_to_unix(*t) : std::nullopt;
        if (!s) {
            why = "no valid time in " + hex_id(id);
            continue;
        }
        if (!latest || *s > *latest) latest = s;
    }
    if (latest) return *latest * 1000;
    memory.no_record_time.insert(count.ids.front());
    notes.push_back("its latest '" + count.what + "' record gives no time (" + why +
                    "); the events are raised without it");
    return std::nullopt;
}

bool Dlt645Reader::read_family(const MeterPlan& plan, const std::string& family,
                               EventCountMemory& memory, EventCountRead& out, bool& answered) {
    answered = false;
    for (const dlt645::EventCount& c : plan.profile.identifiers.event_counts) {
        if (c.family != family || c.ids.empty() || memory.lacking.contains(c.ids.front())) continue;
        uint64_t sum = 0;
        switch (read_count(plan, c, sum, out.reason)) {
            case Answer::failed:
                return false;
            case Answer::lacking:
                memory.lacking.insert(c.ids.front());
                break;
            case Answer::unreadable:
                answered = true;
                break;
            case Answer::counted: {
                answered = true;
                MeterEventCount mc{hex_id(c.ids.front()), c.event, c.what, sum, std::nullopt};
                auto [last, first] = memory.counts.try_emplace(c.ids.front(), sum);
                const bool moved = first || last->second != sum;
                last->second = sum;
                // A count of 0 has no record yet.
                if (moved && sum > 0 && !c.records.empty() &&
                    !memory.no_record_time.contains(c.ids.front()))
                    mc.record_ms = read_record_time(plan, c, memory, out.notes);
                out.counts.push_back(std::move(mc));
                break;
            }
        }
    }
    return true;
}

EventCountRead Dlt645Reader::read_event_counts(const MeterPlan& plan, EventCountMemory& memory) {
    EventCountRead out;
    bool answered = false;
    auto failed = [&out] {
        out.outcome = Outcome::failed;
        out.counts.clear();
        return out;
    };
    if (!read_family(plan, "", memory, out, answered)) return failed();
    if (memory.probed) {
        if (!memory.family.empty() && !read_family(plan, memory.family, memory, out, answered))
            return failed();
    } else {
        // Meters implement one family or the other: the first that answers is theirs, and
        // the others are not asked again while the agent runs.
        for (const std::string& family : plan.profile.identifiers.families()) {
            if (!read_family(plan, family, memory, out, answered)) return failed();
            if (answered) {
                memory.family = family;
                break;
            }
        }
        memory.probed = true;
    }
    out.family = memory.family;
    return out;
}
}  // namespace sealwatch::poll
