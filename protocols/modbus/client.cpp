#include "modbus/client.hpp"

namespace sealwatch::modbus {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::timeout:
            return "timeout";
        case ErrorKind::exception:
            return "exception";
        case ErrorKind::bad_frame:
            return "bad frame";
        case ErrorKind::link:
            return "link";
    }
    return "?";
}

}  // namespace sealwatch::modbus
