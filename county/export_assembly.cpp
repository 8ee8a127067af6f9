#include "county/export_assembly.hpp"

#include <filesystem>
#include <fstream>

namespace sealwatch::county {

namespace {

bool same(const wire::ExportChunk& a, const wire::ExportChunk& b) {
    return a.file == b.file && a.offset == b.offset && a.size == b.size && a.data == b.data;
}

struct File {
    int64_t size = 0;
    std::map<int64_t, const std::string*> pieces;  // by offset
};

}  // namespace

std::string ExportAssembly::add(const wire::ExportChunk& chunk) {
    if (chunk.nonce != nonce_) return "chunk of another export (nonce " + chunk.nonce + ")";
    if (count_ == 0) count_ = chunk.count;
    if (chunk.count != count_)
        return "chunk " + std::to_string(chunk.index) + " says n = " + std::to_string(chunk.count) +
               ", the first said " + std::to_string(count_);
    if (chunk.index < 0 || chunk.index >= count_)
        return "chunk index " + std::to_string(chunk.index) + " outside 0.." +
               std::to_string(count_ - 1);
    if (chunk.offset < 0 || chunk.size < 0 ||
        chunk.offset + static_cast<int64_t>(chunk.data.size()) > chunk.size)
        return "chunk " + std::to_string(chunk.index) + " runs past the end of " + chunk.file;
    auto [at, fresh] = chunks_.emplace(chunk.index, chunk);
    if (!fresh && !same(at->second, chunk))
        return "chunk " + std::to_string(chunk.index) + " arrived twice with different content";
    return {};
}

std::vector<int64_t> ExportAssembly::missing() const {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < count_; ++i)
        if (!chunks_.contains(i)) out.push_back(i);
    return out;
}

Result<void> ExportAssembly::write(const std::string& dir) const {
    if (!complete())
        return fail("bundle incomplete: " + std::to_string(received()) + " of " +
                    (count_ ? std::to_string(count_) : std::string("?")) + " chunks arrived");
    // Each file's pieces must tile it: from 0, end to end, to its size.
    std::map<std::string, File> files;
    for (const auto& [i, c] : chunks_) {
        auto& f = files[c.file];
        if (!f.pieces.empty() && f.size != c.size)
            return fail("chunks of " + c.file + " disagree on its size");
        f.size = c.size;
        if (!f.pieces.emplace(c.offset, &c.data).second)
            return fail("two chunks at offset " + std::to_string(c.offset) + " of " + c.file);
    }
    for (const auto& [name, f] : files) {
        int64_t end = 0;
        for (const auto& [offset, data] : f.pieces) {
            if (offset != end)
                return fail(name + ": bytes " + std::to_string(end) + ".." +
                            std::to_string(offset) + " are not in any chunk, or overlap");
            end += static_cast<int64_t>(data->size());
        }
        if (end != f.size)
            return fail(name + ": " + std::to_string(end) + " of " + std::to_string(f.size) +
                        " bytes in the chunks");
    }

    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
        return fail(dir + " exists and is not empty (an export never overwrites)");
    fs::create_directories(dir, ec);
    if (ec) return fail("cannot create " + dir + ": " + ec.message());
    for (const auto& [name, f] : files) {
        // wire::parse_export_chunk refused any name that would leave the folder.
        const fs::path path = fs::path(dir) / name;
        fs::create_directories(path.parent_path(), ec);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        for (const auto& [offset, data] : f.pieces)
            out.write(data->data(), static_cast<std::streamsize>(data->size()));
        out.close();
        if (!out) return fail("cannot write " + path.string());
    }
    return {};
}

}  // namespace sealwatch::county
