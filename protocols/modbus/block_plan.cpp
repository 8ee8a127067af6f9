#include "modbus/block_plan.hpp"

#include <algorithm>
#include <tuple>

namespace sealwatch::modbus {

namespace {

// Does [start, end) extend across a barrier, i.e. hold addresses on both sides of it?
bool crosses_barrier(uint32_t start, uint32_t end, const std::vector<uint16_t>& barriers) {
    for (uint16_t b : barriers)
        if (start < b && b < end) return true;
    return false;
}

}  // namespace

std::vector<Block> plan_blocks(const std::vector<Span>& spans, const PlanOptions& options) {
    const uint32_t max_regs =
        (options.max_registers == 0 || options.max_registers > kMaxReadRegisters)
            ? kMaxReadRegisters
            : options.max_registers;
    std::vector<Span> sorted;
    sorted.reserve(spans.size());
    for (const auto& s : spans)
        if (s.count > 0) sorted.push_back(s);
    // Table first (holding, then input), then address, then the longer span first: the order
    // the caller gave does not matter.
    std::sort(sorted.begin(), sorted.end(), [](const Span& a, const Span& b) {
        return std::tuple(a.table, a.address, b.count) < std::tuple(b.table, b.address, a.count);
    });

    std::vector<Block> blocks;
    bool open = false;
    Table table = Table::holding;
    uint32_t start = 0;
    uint32_t end = 0;  // one past the last register of the open block
    auto close = [&] {
        if (open)
            blocks.push_back(
                Block{table, static_cast<uint16_t>(start), static_cast<uint16_t>(end - start)});
        open = false;
    };
    for (const auto& s : sorted) {
        const uint32_t s_start = s.address;
        const uint32_t s_end = std::min<uint32_t>(s_start + s.count, 0x10000);
        if (open && s.table == table) {
            const uint32_t new_end = std::max(end, s_end);
            const uint32_t gap = s_start > end ? s_start - end : 0;
            if (gap <= options.max_gap && new_end - start <= max_regs &&
                !crosses_barrier(start, new_end, options.barriers)) {
                end = new_end;
                continue;
            }
        }
        close();
        open = true;
        table = s.table;
        start = s_start;
        end = s_end;
    }
    close();
    return blocks;
}

int find_block(const std::vector<Block>& blocks, const Span& span) {
    const uint32_t s_end = uint32_t{span.address} + span.count;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const auto& b = blocks[i];
        if (b.table == span.table && b.address <= span.address &&
            s_end <= uint32_t{b.address} + b.count) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

}  // namespace sealwatch::modbus
