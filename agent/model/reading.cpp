#include "model/reading.hpp"

namespace sealwatch {

std::string_view to_string(MeterHealth health) {
    switch (health) {
        case MeterHealth::online:
            return "online";
        case MeterHealth::offline:
            return "offline";
        case MeterHealth::misconfigured:
            return "misconfigured";
    }
    return "?";
}

}  // namespace sealwatch
