#pragma once
// An exported bundle put back together from its numbered chunks on P/cmd/export/<nonce>
// (docs/protocol.md, "Export chunks"), as `sealwatch-county send GATEWAY export` receives them:
// in any order, some perhaps twice (QoS 1 may deliver again). The bundle is written only when
// every chunk arrived and every file is covered from its first byte to its `size`.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "wire/command.hpp"

namespace sealwatch::county {

class ExportAssembly {
  public:
    explicit ExportAssembly(std::string nonce) : nonce_(std::move(nonce)) {}

    // Files one chunk. Empty when it fits; otherwise why it does not (another export's nonce, a
    // count that differs from the first chunk's, an index out of range, a second copy that
    // differs, bytes beyond the file's size): the bundle is then not to be trusted.
    std::string add(const wire::ExportChunk& chunk);

    int64_t expected() const { return count_; }  // n, once a chunk has said it; else 0
    int64_t received() const { return static_cast<int64_t>(chunks_.size()); }
    bool complete() const { return count_ > 0 && received() == count_; }
    std::vector<int64_t> missing() const;  // indexes not yet received, when n is known

    // Writes every file under `dir` (created; it must not exist or be empty). Fails, writing
    // nothing, when a chunk is missing or a file is not covered exactly once to its size.
    Result<void> write(const std::string& dir) const;

  private:
    std::string nonce_;
    int64_t count_ = 0;
    std::map<int64_t, wire::ExportChunk> chunks_;  // by index
};

}  // namespace sealwatch::county
