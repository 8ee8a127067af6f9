#pragma once
// `sealwatch test-alarm --asset A`: asks the running agent to record a clearly marked test event
// (evidence/test_alarm.hpp) that travels to the county office like any event, for commissioning.
// Exit codes (docs/cli.md): 0 recorded by the agent; 1 no agent running (nothing queued), the
// agent refused it, or did not take it within `wait_s` (then withdrawn: it is never sent later);
// 2 bad arguments or config.
#include <string>

namespace sealwatch::cli {

// `by` empty: the user running the command (the one behind sudo, if any).
int run_test_alarm(const std::string& config_path, const std::string& asset, std::string by,
                   const std::string& note, int wait_s);

}  // namespace sealwatch::cli
