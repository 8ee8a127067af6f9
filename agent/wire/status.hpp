#pragma once
// P/status (retained; the MQTT will says offline), outside the seq stream, and a meter's health
// as the agent prints it (sealwatchd --print-readings).
//
//   {"online":true,"ts":"…","version":"0.1.0","boot":12}
//   {"meter":"m1","health":"offline","ts":"…"}
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "model/reading.hpp"
#include "wire/json.hpp"

namespace sealwatch::wire {

struct Status {
    bool online = false;
    WallMs ts = 0;
    std::string version;
    int64_t boot = 0;  // the agent's starts on this gateway: a new value means it restarted
};

std::string status_payload(const Status& status);
Result<Status> parse_status(std::string_view payload, const Limits& limits = {});

std::string health_json(const HealthChange& change);

}  // namespace sealwatch::wire
