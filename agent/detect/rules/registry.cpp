#include "detect/rules/registry.hpp"

#include "detect/rules/consumption_while_offline.hpp"
#include "detect/rules/counter_rollback.hpp"
#include "detect/rules/furnace_signature.hpp"
#include "detect/rules/meter_event_counts.hpp"
#include "detect/rules/meter_offline.hpp"
#include "detect/rules/meter_replaced.hpp"
#include "detect/rules/phase_loss.hpp"
#include "detect/rules/power_register_mismatch.hpp"
#include "detect/rules/production_suspected.hpp"
#include "detect/rules/reenergized.hpp"
#include "detect/rules/reverse_energy.hpp"
#include "detect/rules/unmetered_load.hpp"

namespace sealwatch::detect {

std::vector<std::unique_ptr<Rule>> make_rules(Site& site) {
    std::vector<std::unique_ptr<Rule>> rules;
    // A reading's identity and registers first (findings complete when seen), then the meter's
    // own conditions, then its asset's, then the balances it belongs to.
    rules.push_back(std::make_unique<MeterReplaced>(site));
    rules.push_back(std::make_unique<CounterRollback>(site));
    rules.push_back(std::make_unique<ConsumptionWhileOffline>(site));
    rules.push_back(std::make_unique<MeterOffline>(site));
    rules.push_back(std::make_unique<MeterEventCounts>(site));
    rules.push_back(std::make_unique<PowerRegisterMismatch>(site));
    rules.push_back(std::make_unique<ReverseEnergy>(site));
    rules.push_back(std::make_unique<PhaseLoss>(site));
    rules.push_back(std::make_unique<Reenergized>(site));
    rules.push_back(std::make_unique<ProductionSuspected>(site));
    rules.push_back(std::make_unique<FurnaceSignature>(site));
    rules.push_back(std::make_unique<UnmeteredLoad>(site));
    return rules;
}

}  // namespace sealwatch::detect
