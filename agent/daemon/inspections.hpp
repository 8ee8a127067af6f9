#pragma once
// An inspector's USB stick in the running agent (docs/inspector.md). A thread of its own watches
// the board's mount points once a second and does the slow work: reading the request, exporting
// the bundle (a read-only store connection), copying it to the stick, syncing. The main loop
// only judges the request (command::verify on the stick channel, the store's nonce memory: a
// few milliseconds) and records the events, so a stick never delays polling or the uplink.
//
// One stick at a time, one attempt per plug. The request's nonce is remembered once its bundle
// is on the stick: a request that was carried out is refused as replayed, while a full or pulled
// stick can be tried again with the same request.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "board/board.hpp"
#include "config/config.hpp"
#include "daemon/stick.hpp"
#include "model/event.hpp"
#include "store/store.hpp"
#include "wire/command.hpp"

namespace sealwatch::daemon {

// At most one inspection_refused event per this much time; the others are counted into it.
inline constexpr WallMs kStickRefusalEveryMs = 10000;

class StickDesk {
  public:
    explicit StickDesk(std::unique_ptr<board::StickWatch> watch);
    ~StickDesk();  // stop()
    StickDesk(const StickDesk&) = delete;
    StickDesk& operator=(const StickDesk&) = delete;

    // What a turn needs from the main loop.
    struct Agent {
        store::Store& store;
        const config::Config& cfg;
        WallMs now = 0;
        bool clock_synced = false;
    };
    // Every main-loop turn: judges a waiting request, records what the thread has finished.
    void turn(const Agent& agent, std::vector<Event>& events);
    // The status LED's pattern while a stick is handled, and after that until it is pulled;
    // nullopt: the agent's usual pattern.
    std::optional<board::LedPattern> led() const;
    // Stops the thread: a copy under way stops and removes its partial folder. turn() still
    // records what was finished.
    void stop();

  private:
    struct Ask {
        std::vector<Stick::File> files;
    };
    struct Answer {
        bool accepted = false;
        wire::CommandBody body;
        std::string key;
        std::optional<config::Config> cfg;
        WallMs now = 0;
    };
    struct Outcome {
        std::string type;  // inspection, inspection_failed, inspection_refused
        std::string reason;
        nlohmann::ordered_json details = nlohmann::ordered_json::object();
        wire::CommandBody body;
        std::string key;
    };

    void run();
    // One stick, start to end; the pattern the LED keeps until it is pulled.
    board::LedPattern inspect(const std::string& mount_point);
    std::optional<Answer> ask(std::vector<Stick::File> files);
    board::LedPattern finish(Outcome outcome);
    Answer judge(const Ask& ask, const Agent& agent, std::vector<Event>& events);
    void refused(const std::string& reason, Severity severity, nlohmann::ordered_json details,
                 const Agent& agent, std::vector<Event>& events);
    void set_led(std::optional<board::LedPattern> pattern);

    std::unique_ptr<board::StickWatch> watch_;
    std::atomic<int> led_{-1};  // a board::LedPattern, -1: none
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::optional<Ask> ask_;  // waiting for the main loop
    std::optional<Answer> answer_;
    std::vector<Outcome> outcomes_;
    // Main loop only: the refusal event limit.
    WallMs last_refusal_event_ = 0;
    bool had_refusal_event_ = false;
    int64_t refusals_pending_ = 0;
    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace sealwatch::daemon
