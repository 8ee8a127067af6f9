#pragma once
// Errors are values: every fallible operation returns Result<T>; no exception crosses a module.
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace sealwatch {

struct Error {
    std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(std::string message) {
    return tl::unexpected<Error>(Error{std::move(message)});
}

}  // namespace sealwatch
