#pragma once
// An `export` command carried out off the main loop: a worker thread writes the bundle through
// a read-only store connection (as `sealwatch export` does while the agent runs), publishes it
// in chunks on P/cmd/export/<nonce> (wire::ExportChunk), answers on P/cmd/reply, and removes its
// folder. The main loop only starts it and, when it is done, records the `command` event. One
// export at a time.
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "wire/command.hpp"
#include "wire/topics.hpp"

namespace sealwatch::daemon {

inline constexpr int64_t kMaxExportBytes = 64LL * 1024 * 1024;  // a bigger bundle is refused

class ExportJob {
  public:
    struct Done {
        wire::CommandBody body;
        std::string key;
        nlohmann::json result;
    };
    // QoS 1, not retained; thread-safe (MqttLink::publish is).
    using Publish = std::function<bool(const std::string& topic, const std::string& payload)>;

    ExportJob() = default;
    ~ExportJob();  // waits for a running export
    ExportJob(const ExportJob&) = delete;
    ExportJob& operator=(const ExportJob&) = delete;

    bool busy() const { return running_; }
    void wait();  // until a running export has answered
    // false when an export is still running.
    bool start(const config::Config& cfg, wire::CommandBody body, std::string key,
               wire::Topics topics, Publish publish);
    // The finished export, once.
    std::optional<Done> take_done();

  private:
    // Runs on thread_, whose own copies of the arguments live as long as it does.
    void run(const config::Config& cfg, wire::CommandBody body, std::string key,
             const wire::Topics& topics, const Publish& publish);

    std::thread thread_;
    std::atomic<bool> running_{false};
    std::mutex mutex_;
    std::optional<Done> done_;
};

}  // namespace sealwatch::daemon
