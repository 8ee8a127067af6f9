#include "daemon/export_job.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "daemon/local_export.hpp"

namespace sealwatch::daemon {

namespace fs = std::filesystem;

namespace {

struct BundleFile {
    std::string name;  // relative, '/'-separated
    fs::path path;
    int64_t size = 0;
};

std::vector<BundleFile> bundle_files(const fs::path& dir) {
    std::vector<BundleFile> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            files.push_back({fs::relative(e.path(), dir).generic_string(), e.path(),
                             static_cast<int64_t>(e.file_size())});
    std::sort(files.begin(), files.end(),
              [](const BundleFile& a, const BundleFile& b) { return a.name < b.name; });
    return files;
}

int64_t chunks_of(int64_t size) {
    const auto per = static_cast<int64_t>(wire::kExportChunkBytes);
    return size == 0 ? 1 : (size + per - 1) / per;
}

// Writes, chunks and publishes the bundle; fills `result`, or returns why it failed.
std::string export_and_publish(const config::Config& cfg, const wire::CommandBody& body,
                               const wire::Topics& topics, const ExportJob::Publish& publish,
                               nlohmann::json& result) {
    const ScratchFolder scratch(cfg, body.nonce);
    const fs::path& dir = scratch.path();
    auto summary = export_period(cfg, body.args, dir.string());
    if (!summary) return summary.error().message;

    auto files = bundle_files(dir);
    int64_t bytes = 0, count = 0;
    for (const auto& f : files) {
        bytes += f.size;
        count += chunks_of(f.size);
    }
    if (bytes > kMaxExportBytes)
        return "the bundle has " + std::to_string(bytes) + " bytes, more than " +
               std::to_string(kMaxExportBytes) + ": export a shorter period";
    const auto topic = topics.export_chunks(body.nonce);
    wire::ExportChunk chunk;
    chunk.nonce = body.nonce;
    chunk.count = count;
    std::string buffer(wire::kExportChunkBytes, '\0');
    for (const auto& f : files) {
        std::ifstream in(f.path, std::ios::binary);
        chunk.file = f.name;
        chunk.size = f.size;
        chunk.offset = 0;
        do {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            chunk.data.assign(buffer.data(), static_cast<size_t>(in.gcount()));
            if (!in && !in.eof()) return "cannot read " + f.name;
            if (!publish(topic, wire::encode_export_chunk(chunk)))
                return "the link refused chunk " + std::to_string(chunk.index);
            chunk.offset += static_cast<int64_t>(chunk.data.size());
            ++chunk.index;
        } while (chunk.offset < f.size);
    }
    result["chunks"] = count;
    result["files"] = files.size();
    result["bytes"] = bytes;
    result["readings"] = summary->readings;
    result["events"] = summary->events;
    result["first_n"] = summary->first_n;
    result["last_n"] = summary->last_n;
    result["fingerprint"] = summary->fingerprint;
    return {};
}

}  // namespace

ExportJob::~ExportJob() {
    wait();
}

void ExportJob::wait() {
    if (thread_.joinable()) thread_.join();
}

bool ExportJob::start(const config::Config& cfg, wire::CommandBody body, std::string key,
                      wire::Topics topics, Publish publish) {
    if (running_) return false;
    if (thread_.joinable()) thread_.join();
    running_ = true;
    thread_ = std::thread(&ExportJob::run, this, cfg, std::move(body), std::move(key),
                          std::move(topics), std::move(publish));
    return true;
}

std::optional<ExportJob::Done> ExportJob::take_done() {
    std::lock_guard lock(mutex_);
    auto done = std::move(done_);
    done_.reset();
    return done;
}

void ExportJob::run(const config::Config& cfg, wire::CommandBody body, std::string key,
                    const wire::Topics& topics, const Publish& publish) {
    nlohmann::json result = nlohmann::json::object();
    auto failure = export_and_publish(cfg, body, topics, publish, result);
    if (!failure.empty()) {
        log::warning("command export (", body.nonce, "): ", failure);
        result["message"] = failure;
    }
    wire::CommandReply reply;
    reply.nonce = body.nonce;
    reply.verb = body.verb;
    reply.ok = failure.empty();
    reply.reason = failure.empty() ? "" : "failed";
    reply.ts = wall_now_ms();
    reply.result = result;
    publish(topics.cmd_reply, wire::encode_reply(reply));
    {
        std::lock_guard lock(mutex_);
        done_ = Done{std::move(body), std::move(key), std::move(result)};
    }
    running_ = false;
}

}  // namespace sealwatch::daemon
