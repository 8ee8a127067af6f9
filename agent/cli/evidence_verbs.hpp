#pragma once
// The inspector's verbs: export an evidence bundle, verify one, and record a legal state change.
// Exit codes are in docs/cli.md; in short 0 done, 1 failed/not intact, 2 bad arguments or
// config, 3 (set-state) queued but not yet applied by the running agent.
#include <optional>
#include <string>

namespace sealwatch::cli {

// `database`: another database file than the config's (one set aside as damaged).
int run_export(const std::string& config_path, const std::string& from, const std::string& to,
               const std::string& out_dir, const std::optional<std::string>& asset,
               const std::optional<std::string>& database = std::nullopt);
// The key the bundle must be signed with: --pubkey, else the gateway's own (gateway.pub in the
// data_dir of --config), else none — then an otherwise sound bundle exits 3, not 0: a bundle
// re-signed with another key after records were dropped is sound against its own key.
inline constexpr int kVerifyKeyNotPinned = 3;
int run_verify(const std::string& dir, const std::optional<std::string>& pubkey_path,
               const std::optional<std::string>& config_path);
int run_set_state(const std::string& config_path, const std::string& asset,
                  const std::string& state, const std::string& by, const std::string& note,
                  int wait_s);

}  // namespace sealwatch::cli
