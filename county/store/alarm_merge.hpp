#pragma once
// How an alarm's events merge into the one row per id that both stores keep (AlarmRecord,
// store.hpp): the SET list of the upsert `INSERT INTO alarms … ON CONFLICT(gateway, id) DO
// UPDATE SET <this>`, where `alarms` is the row held and `excluded` the event arriving. SQLite
// and PostgreSQL read the same text, so the rule is written once.
//
// First sight inserts; later events fill in what the first lacked (a raise after its clear
// brings the raised fields) and a clear closes it, never the other way round.

namespace sealwatch::county {

inline constexpr const char* kAlarmMergeSet =
    "  cleared_ms = coalesce(alarms.cleared_ms, excluded.cleared_ms), "
    "  raised_ms = CASE WHEN alarms.raised_ms = 0 THEN excluded.raised_ms "
    "                   ELSE alarms.raised_ms END, "
    "  severity = CASE WHEN alarms.raised_ms = 0 AND excluded.raised_ms != 0 "
    "                  THEN excluded.severity ELSE alarms.severity END, "
    "  details = CASE WHEN alarms.raised_ms = 0 AND excluded.raised_ms != 0 "
    "                 THEN excluded.details ELSE alarms.details END, "
    "  started_ms = CASE WHEN alarms.started_ms = 0 THEN excluded.started_ms "
    "                    ELSE alarms.started_ms END";

}  // namespace sealwatch::county
