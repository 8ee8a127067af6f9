#pragma once
// Reading a meter in as few requests as the protocol allows: the registers a profile wants,
// grouped into blocks of at most 125 registers per function code, bridging small holes.
#include <cstdint>
#include <vector>

namespace sealwatch::modbus {

enum class Table { holding /* FC03 */, input /* FC04 */ };

inline constexpr uint16_t kMaxReadRegisters = 125;  // MODBUS_MAX_READ_REGISTERS

// One register span some value needs.
struct Span {
    Table table = Table::holding;
    uint16_t address = 0;
    uint16_t count = 1;
};

struct Block {
    Table table = Table::holding;
    uint16_t address = 0;
    uint16_t count = 0;
};

struct PlanOptions {
    uint16_t max_registers = kMaxReadRegisters;
    uint16_t max_gap = 16;  // unused registers a block may bridge
    // Addresses a block may not extend across: the meter answers "illegal address" for a read
    // that covers them (a hole in its map). A block never contains a barrier address unless a
    // span itself starts there.
    std::vector<uint16_t> barriers;
};

// Deterministic: same spans, same plan. Spans may overlap or repeat.
std::vector<Block> plan_blocks(const std::vector<Span>& spans, const PlanOptions& options);

// The block holding a span entirely, or -1.
int find_block(const std::vector<Block>& blocks, const Span& span);

}  // namespace sealwatch::modbus
