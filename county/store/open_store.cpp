#include "county/store/open_store.hpp"

#include <libpq-fe.h>

#include <filesystem>
#include <map>

#include "county/store/postgres_store.hpp"
#include "county/store/sqlite_store.hpp"

namespace sealwatch::county {

Result<std::unique_ptr<Store>> open_store(const Config& config, Access access,
                                          const std::atomic<bool>* keep_trying) {
    const bool write = access == Access::read_write;
    if (config.store.kind == Storage::Kind::postgresql) {
        auto store = PostgresStore::open(
            {config.store.url,
             write ? PostgresStore::Mode::read_write : PostgresStore::Mode::read_only,
             keep_trying});
        if (!store) return fail(store_location(config) + ": " + store.error().message);
        return std::unique_ptr<Store>(std::move(*store));
    }
    if (write) {
        std::error_code ec;
        std::filesystem::create_directories(config.data_dir, ec);
    }
    auto store =
        SqliteStore::open(database_path(config.data_dir),
                          write ? SqliteStore::Mode::read_write : SqliteStore::Mode::read_only);
    if (!store) return tl::unexpected(store.error());
    return std::unique_ptr<Store>(std::move(*store));
}

std::string store_location(const Config& config) {
    if (config.store.kind == Storage::Kind::sqlite) return database_path(config.data_dir);
    std::map<std::string, std::string> given;
    if (PQconninfoOption* options = PQconninfoParse(config.store.url.c_str(), nullptr)) {
        for (auto* o = options; o->keyword; ++o)
            if (o->val && *o->val) given[o->keyword] = o->val;
        PQconninfoFree(options);
    }
    auto said = [&](const char* key, const char* otherwise) {
        auto it = given.find(key);
        return it != given.end() ? it->second : std::string(otherwise);
    };
    return "PostgreSQL database " + said("dbname", "(default)") + " on " +
           said("host", "(default host)") + ":" + said("port", "5432") + " as " +
           said("user", "(default user)");
}

}  // namespace sealwatch::county
