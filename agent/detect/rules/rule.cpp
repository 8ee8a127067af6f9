#include "detect/rules/rule.hpp"

namespace sealwatch::detect {

ojson* meter_entry(ojson& snapshot, const std::string& meter_id) {
    auto& meters = snapshot["meters"];
    auto it = meters.find(meter_id);
    return it == meters.end() ? nullptr : &*it;
}

ojson& asset_entry(ojson& snapshot, const std::string& asset_id) {
    auto& x = snapshot["assets"][asset_id];
    if (x.is_null()) x = ojson::object();
    return x;
}

}  // namespace sealwatch::detect
