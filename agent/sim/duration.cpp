#include "sim/duration.hpp"

#include <cctype>
#include <charconv>

namespace sealwatch::sim {

namespace {

std::optional<double> unit_seconds(std::string_view unit) {
    if (unit == "ms") return 0.001;
    if (unit == "s") return 1.0;
    if (unit == "m" || unit == "min") return 60.0;
    if (unit == "h") return 3600.0;
    if (unit == "d") return 86400.0;
    return std::nullopt;
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double total = 0.0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t num_end = pos;
        while (num_end < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[num_end])) || text[num_end] == '.'))
            ++num_end;
        if (num_end == pos) return std::nullopt;
        double number = 0.0;
        auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + num_end, number);
        if (ec != std::errc() || ptr != text.data() + num_end) return std::nullopt;
        size_t unit_end = num_end;
        while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end])))
            ++unit_end;
        std::string_view unit = text.substr(num_end, unit_end - num_end);
        if (unit.empty()) {
            // A bare number is seconds, but only as the whole text ("90"), not inside "1h30".
            if (pos != 0 || unit_end != text.size()) return std::nullopt;
            return number;
        }
        auto factor = unit_seconds(unit);
        if (!factor) return std::nullopt;
        total += number * *factor;
        pos = unit_end;
    }
    return total;
}

}  // namespace sealwatch::sim
