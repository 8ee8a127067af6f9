// Read planning: the 125-register limit, gaps, barriers, tables, overlaps, determinism.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "modbus/block_plan.hpp"

namespace mb = sealwatch::modbus;
using mb::Block;
using mb::Span;
using mb::Table;

namespace {

Span in(uint16_t a, uint16_t n = 2) {
    return Span{Table::input, a, n};
}
Span hr(uint16_t a, uint16_t n = 2) {
    return Span{Table::holding, a, n};
}

bool same(const Block& a, const Block& b) {
    return a.table == b.table && a.address == b.address && a.count == b.count;
}

void expect_blocks(const std::vector<Block>& got, const std::vector<Block>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_TRUE(same(got[i], want[i]))
            << "block " << i << ": got " << got[i].address << "+" << got[i].count << " want "
            << want[i].address << "+" << want[i].count;
}

// Every span lies inside some block, and no block is longer than the limit.
void expect_covers(const std::vector<Block>& blocks, const std::vector<Span>& spans,
                   uint16_t limit = mb::kMaxReadRegisters) {
    for (const auto& s : spans) EXPECT_GE(mb::find_block(blocks, s), 0) << s.address;
    for (const auto& b : blocks) EXPECT_LE(b.count, limit);
}

}  // namespace

TEST(BlockPlan, EmptyGivesNoBlocks) {
    EXPECT_TRUE(mb::plan_blocks({}, {}).empty());
}

TEST(BlockPlan, AdjacentSpansMerge) {
    auto b = mb::plan_blocks({in(0), in(2), in(4)}, {});
    expect_blocks(b, {{Table::input, 0, 6}});
}

TEST(BlockPlan, GapUpToMaxGapIsBridged) {
    mb::PlanOptions o;
    o.max_gap = 4;
    expect_blocks(mb::plan_blocks({in(0), in(6)}, o), {{Table::input, 0, 8}});  // gap of 4
    expect_blocks(mb::plan_blocks({in(0), in(7)}, o),
                  {{Table::input, 0, 2}, {Table::input, 7, 2}});  // gap of 5
    o.max_gap = 0;
    expect_blocks(mb::plan_blocks({in(0), in(2), in(5)}, o),
                  {{Table::input, 0, 4}, {Table::input, 5, 2}});
}

TEST(BlockPlan, NeverMoreThan125) {
    std::vector<Span> spans;
    for (uint16_t a = 0; a < 300; a += 2) spans.push_back(in(a));
    auto b = mb::plan_blocks(spans, {});
    expect_covers(b, spans);
    // 150 float spans: 62 fit in 124 registers (a 63rd would straddle 125), so 3 blocks.
    expect_blocks(b, {{Table::input, 0, 124}, {Table::input, 124, 124}, {Table::input, 248, 52}});
}

TEST(BlockPlan, ExactlyOneHundredTwentyFive) {
    std::vector<Span> spans{hr(0, 1), hr(124, 1)};
    expect_blocks(mb::plan_blocks(spans, {.max_registers = 125, .max_gap = 200, .barriers = {}}),
                  {{Table::holding, 0, 125}});
    spans.push_back(hr(125, 1));
    expect_blocks(mb::plan_blocks(spans, {.max_registers = 125, .max_gap = 200, .barriers = {}}),
                  {{Table::holding, 0, 125}, {Table::holding, 125, 1}});
}

TEST(BlockPlan, SmallerMaxRegistersAndOutOfRangeLimit) {
    mb::PlanOptions o;
    o.max_registers = 4;
    expect_blocks(mb::plan_blocks({in(0), in(2), in(4)}, o),
                  {{Table::input, 0, 4}, {Table::input, 4, 2}});
    o.max_registers = 1000;  // more than the protocol allows: capped at 125
    std::vector<Span> spans;
    for (uint16_t a = 0; a < 200; ++a) spans.push_back(hr(a, 1));
    expect_covers(mb::plan_blocks(spans, o), spans);
}

TEST(BlockPlan, BarrierSplitsEvenWhenAdjacent) {
    mb::PlanOptions o;
    o.barriers = {0x2004};
    // Spans 2000, 2002 | 2004, 2006: the barrier is the start of a new read.
    expect_blocks(mb::plan_blocks({hr(0x2000), hr(0x2002), hr(0x2004), hr(0x2006)}, o),
                  {{Table::holding, 0x2000, 4}, {Table::holding, 0x2004, 4}});
}

TEST(BlockPlan, BarrierInAGapIsNotBridged) {
    mb::PlanOptions o;
    o.barriers = {0x004A};
    auto b = mb::plan_blocks({hr(0x0040), hr(0x0052)}, o);
    expect_blocks(b, {{Table::holding, 0x0040, 2}, {Table::holding, 0x0052, 2}});
    for (const auto& blk : b) EXPECT_FALSE(blk.address < 0x4A && 0x4A < blk.address + blk.count);
    // Without the barrier the same spans are one read (a gap of 16).
    expect_blocks(mb::plan_blocks({hr(0x0040), hr(0x0052)}, {}), {{Table::holding, 0x0040, 20}});
}

TEST(BlockPlan, BarrierAtBlockEndDoesNotSplit) {
    mb::PlanOptions o;
    o.barriers = {0x0004};
    expect_blocks(mb::plan_blocks({hr(0), hr(2)}, o), {{Table::holding, 0, 4}});
}

TEST(BlockPlan, TablesNeverMix) {
    auto b = mb::plan_blocks({in(0), hr(0), in(2), hr(2)}, {});
    expect_blocks(b, {{Table::holding, 0, 4}, {Table::input, 0, 4}});
    EXPECT_EQ(mb::find_block(b, in(2)), 1);
    EXPECT_EQ(mb::find_block(b, hr(2)), 0);
}

TEST(BlockPlan, OverlapsAndDuplicates) {
    // A 64-bit value and a 32-bit view of its low half, plus duplicates.
    auto b = mb::plan_blocks({hr(10, 4), hr(12, 2), hr(10, 4), hr(10, 1), hr(13, 3)}, {});
    expect_blocks(b, {{Table::holding, 10, 6}});
}

TEST(BlockPlan, DeterministicWhateverTheInputOrder) {
    std::vector<Span> spans{in(0x48), hr(0xFC00), in(0), in(0xEA), in(0x34), in(6), in(0x46)};
    auto first = mb::plan_blocks(spans, {});
    for (int i = 0; i < 20; ++i) {
        std::next_permutation(spans.begin(), spans.end(),
                              [](const Span& a, const Span& b) { return a.address < b.address; });
        auto again = mb::plan_blocks(spans, {});
        expect_blocks(again, first);
    }
    expect_covers(first, spans);
}

TEST(BlockPlan, TopOfAddressSpace) {
    auto b = mb::plan_blocks({hr(0xFFFE, 2), hr(0xFFFC, 2)}, {});
    expect_blocks(b, {{Table::holding, 0xFFFC, 4}});
    EXPECT_EQ(mb::find_block(b, hr(0xFFFE, 2)), 0);
}

TEST(BlockPlan, FindBlockNeedsTheWholeSpan) {
    std::vector<Block> blocks{{Table::input, 0, 4}, {Table::input, 10, 4}};
    EXPECT_EQ(mb::find_block(blocks, in(0, 4)), 0);
    EXPECT_EQ(mb::find_block(blocks, in(3, 2)), -1);  // runs past the end of block 0
    EXPECT_EQ(mb::find_block(blocks, in(12, 2)), 1);
    EXPECT_EQ(mb::find_block(blocks, hr(0, 1)), -1);  // wrong table
    EXPECT_EQ(mb::find_block(blocks, in(20, 1)), -1);
}
