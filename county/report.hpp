#pragma once
// What `status`, `gaps` and `alarms` print (contract, "sealwatch-county"; docs/county.md), from
// what the Store gives: an 80-column table for people, JSON for scripts, CSV for the bureau's
// spreadsheets. Pure: the time of reading comes in (a gateway's state and every age depend on it).
//
//   status   gateway, site, state (online|silent|offline), last_message, received, missing,
//            open_alarms, chain (verified|unverified|broken), last_test_alarm (the gateway's
//            last `sealwatch test-alarm`, never counted in open_alarms; the table's TEST age)
//   gaps     per gateway: gateway, site, last_seq, missing [[a,b],…] (inclusive), and opened
//            (when each range was first seen missing, same order)
//   alarms   gateway, site, id, type, state (raised|cleared), severity, asset, meter, started,
//            raised, cleared, received, details
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "county/store/store.hpp"

namespace sealwatch::county {

enum class Format { table, json, csv };

enum class GatewayState { online, silent, offline };
const char* to_string(GatewayState state);

// offline: its last status says so (the will, or a clean stop). silent: nothing from the
// gateway for silent_after_s although its status says online, or says nothing (a gateway behind
// a plant-side bridge whose link broke: the county never sees its will). online otherwise.
GatewayState state_of(const GatewaySummary& gw, WallMs now, int silent_after_s);

// How long ago, in the largest whole unit: "42s", "5m", "3h", "12d"; "never" for 0. The ages of
// the tables and of the web page.
std::string age_text(WallMs t, WallMs now);

std::string status_report(const std::vector<GatewaySummary>& gateways, WallMs now,
                          int silent_after_s, Format format);
std::string gaps_report(const std::vector<GatewayGaps>& gaps, WallMs now, Format format);
std::string alarms_report(const std::vector<AlarmRecord>& alarms, WallMs now, bool all,
                          Format format);

}  // namespace sealwatch::county
