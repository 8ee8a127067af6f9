#include "county/store/store.hpp"

namespace sealwatch::county {

const char* to_string(ChainState state) {
    switch (state) {
        case ChainState::verified:
            return "verified";
        case ChainState::broken:
            return "broken";
        case ChainState::unverified:
            break;
    }
    return "unverified";
}

}  // namespace sealwatch::county
