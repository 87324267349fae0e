// Each formula of docs/reram.md checked on a hand-computed layer; then the properties the
// search relies on (fewer bits never cost more, ratio 1 at 8/8) and the two signed schemes.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "accel/reram/config.h"
#include "accel/reram/cost.h"
#include "layers/layer_bits.h"
#include "layers/layer_shape.h"

namespace fixar::reram {
namespace {

using layers::LayerBits;
using layers::LayerShape;

// FC 400 -> 120 at w = 8, a = 8 on the ISAAC defaults: X = 128, c = 2, d = 1, offset
// column, fixed 8-bit ADC, one ADC per crossbar, 0.5 shift-add units per crossbar.
class IsaacFc : public ::testing::Test {
 protected:
  CostModel model{ReramConfig::Isaac()};
  LayerCost cost = model.layer(LayerShape::FullyConnected("fc", 400, 120), LayerBits{8, 8});
};

TEST_F(IsaacFc, MappingEquations1To5) {
  EXPECT_EQ(cost.slices, 4);          // (1) ceil(8 / 2)
  EXPECT_EQ(cost.polarity, 1);        // offset scheme
  EXPECT_EQ(cost.columns, 481);       // (2) 120 * 4 * 1 + 1 offset column
  EXPECT_EQ(cost.row_blocks, 4);      // ceil(400 / 128) = ceil(3.125)
  EXPECT_EQ(cost.column_blocks, 4);   // ceil(481 / 128) = ceil(3.76)
  EXPECT_EQ(cost.crossbars, 16);      // (3) 4 * 4
  EXPECT_EQ(cost.input_cycles, 8);    // (4) ceil(8 / 1)
  EXPECT_EQ(cost.adc_bits, 8);        // (5) fixed
  EXPECT_EQ(cost.adc_bits_lossless, 10);  // (5) log2(min(400,128)) = 7, + c 2 + d 1
}

TEST_F(IsaacFc, InstancesAndCountsEquations6To10) {
  EXPECT_EQ(cost.adcs, 16);                // 16 crossbars * 1
  EXPECT_EQ(cost.dacs, 2048);              // 16 * 128 rows
  EXPECT_EQ(cost.shift_add_units, 8);      // ceil(16 * 0.5)
  EXPECT_EQ(cost.crossbar_reads, 128);     // (6) 16 crossbars * 8 cycles * 1 position
  EXPECT_EQ(cost.adc_conversions, 15392);  // (7) 4 row blocks * 481 columns * 8 cycles
  EXPECT_EQ(cost.dac_drives, 12800);       // (8) 400 rows * 4 column blocks * 8 cycles
  EXPECT_EQ(cost.shift_add_ops, 15392);    // (9) one per conversion
  EXPECT_EQ(cost.buffer_bits, 4160);       // (10) 400 * 8 in + 120 * 8 out
}

TEST_F(IsaacFc, TimeEquations11And12) {
  // (11) max(read 128 ns, 128 columns / 1 ADC / 1.28 GS/s = 100 ns) = 128 ns
  EXPECT_DOUBLE_EQ(cost.cycle_ns, 128.0);
  EXPECT_DOUBLE_EQ(cost.latency_ns, 1024.0);  // (12) 1 position * 8 cycles * 128 ns
}

TEST_F(IsaacFc, AreaEquation13) {
  EXPECT_NEAR(cost.area.crossbar_mm2, 4.0e-4, 1e-15);     // 16 * 2.5e-5
  EXPECT_NEAR(cost.area.adc_mm2, 0.0192, 1e-15);          // 16 * 0.0012 * 2^(8-8)
  EXPECT_NEAR(cost.area.dac_mm2, 3.42016e-4, 1e-15);      // 2048 * 1.67e-7
  EXPECT_NEAR(cost.area.shift_add_mm2, 4.8e-4, 1e-15);    // 8 * 6e-5
  EXPECT_NEAR(cost.area_mm2(), 0.020422016, 1e-12);
}

TEST_F(IsaacFc, EnergyEquation14) {
  EXPECT_NEAR(cost.energy.crossbar_pj, 4915.2, 1e-9);      // 128 reads * 0.3 mW * 128 ns
  EXPECT_NEAR(cost.energy.adc_pj, 21645.0, 1e-9);          // 15392 * 1.8 mW / 1.28 GS/s = 15392 * 1.40625 pJ
  EXPECT_NEAR(cost.energy.dac_pj, 5734.4, 1e-9);           // 12800 * 0.0035 mW * 128 ns
  EXPECT_NEAR(cost.energy.shift_add_pj, 601.25, 1e-9);     // 15392 * 0.05 mW / 1.28 ops/ns
  EXPECT_NEAR(cost.energy.buffer_pj, 139.75, 1e-9);        // 4160 bits * 8.6 mW / 256 bits/ns
  EXPECT_NEAR(cost.energy.adc_leakage_pj, 3276.8, 1e-9);   // 16 ADCs * 0.2 mW * 1024 ns
  EXPECT_NEAR(cost.energy_pj(), 36312.4, 1e-6);
}

// Conv 6 -> 16, 5x5 kernel, 10x10 output, w = a = 4 with 2-bit DACs and differential pairs.
TEST(CostModel, ConvWithTwoBitDacAndDifferentialPairs) {
  ReramConfig cfg = ReramConfig::Isaac();
  cfg.dac.bits = 2;
  cfg.signed_weights = SignedWeights::kDifferential;
  const CostModel model(cfg);
  const LayerCost c = model.layer(LayerShape::Conv("conv", 6, 16, 5, 1, 14, 14, 10, 10), LayerBits{4, 4});
  EXPECT_EQ(c.shape.rows(), 150);              // 6 * 5 * 5
  EXPECT_EQ(c.shape.output_positions(), 100);  // 10 * 10
  EXPECT_EQ(c.slices, 2);                      // ceil(4 / 2)
  EXPECT_EQ(c.columns, 64);                    // 16 * 2 slices * 2 polarity, no offset column
  EXPECT_EQ(c.crossbars, 2);                   // ceil(150 / 128) = 2 row blocks * ceil(64 / 128) = 1
  EXPECT_EQ(c.input_cycles, 2);                // ceil(4 / 2)
  EXPECT_EQ(c.crossbar_reads, 400);            // 2 * 2 * 100
  EXPECT_EQ(c.adc_conversions, 25600);         // 2 row blocks * 64 columns * 2 cycles * 100
  EXPECT_EQ(c.dac_drives, 30000);              // 150 rows * 1 column block * 2 cycles * 100
  EXPECT_DOUBLE_EQ(c.cycle_ns, 128.0);         // max(128, 64 / 1.28 = 50)
  EXPECT_DOUBLE_EQ(c.latency_ns, 25600.0);     // 100 * 2 * 128
  // A 2-bit DAC costs 2^(2-1) = 2 one-bit DACs: 30000 * 0.0035 * 2 * 128 ns = 26880 pJ.
  EXPECT_NEAR(c.energy.dac_pj, 26880.0, 1e-9);
  EXPECT_NEAR(c.area.dac_mm2, 256 * 1.67e-7 * 2, 1e-15);  // 2 crossbars * 128 DACs
}

TEST(CostModel, CycleLimitedByAdcWhenReadIsFast) {
  ReramConfig cfg = ReramConfig::Isaac();
  cfg.crossbar.read_ns = 10.0;
  const CostModel model(cfg);
  // 481 columns: the first column blocks are full, 128 columns / 1 ADC / 1.28 GS/s = 100 ns.
  EXPECT_DOUBLE_EQ(model.layer(LayerShape::FullyConnected("fc", 400, 120), {8, 8}).cycle_ns, 100.0);
  // 11 columns (10 * 1 slice + 1 offset) at w = 2: 11 / 1.28 = 8.6 ns < 10 ns read.
  EXPECT_DOUBLE_EQ(model.layer(LayerShape::FullyConnected("fc", 84, 10), {2, 8}).cycle_ns, 10.0);
  cfg.adc.per_crossbar = 2;  // PUMA: 2 ADCs per matrix unit -> 64 columns each = 50 ns
  EXPECT_DOUBLE_EQ(CostModel(cfg).layer(LayerShape::FullyConnected("fc", 400, 120), {8, 8}).cycle_ns, 50.0);
}

TEST(CostModel, LosslessAdcDerivation) {
  ReramConfig cfg = ReramConfig::Isaac();
  cfg.adc.resolution = AdcResolution::kLossless;
  const CostModel model(cfg);
  EXPECT_EQ(model.adc_bits(400, {8, 8}), 10);  // log2(128) 7 + c 2 + d 1
  EXPECT_EQ(model.adc_bits(128, {8, 8}), 10);
  EXPECT_EQ(model.adc_bits(9, {8, 8}), 7);     // ceil(log2 9) = 4, + 2 + 1
  EXPECT_EQ(model.adc_bits(25, {1, 8}), 6);    // 5 + c' = min(2, 1) 1 + d 1 - 1 (c' = d' = 1)
  EXPECT_EQ(model.adc_bits(1, {1, 1}), 1);     // 0 + 1 + 1 - 1: one 1x1-bit product
  cfg.cell_bits = 1;                            // MNSIM-like cell: 7 + 1 + 1 - 1 = 8 (ISAAC's 8-bit ADC)
  EXPECT_EQ(CostModel(cfg).adc_bits(128, {8, 8}), 8);
  cfg.dac.bits = 2;                             // 7 + 1 + 2, no correction
  EXPECT_EQ(CostModel(cfg).adc_bits(128, {8, 8}), 10);
  // Fixed mode prices the configured ADC whatever the lossless figure says.
  EXPECT_EQ(CostModel(ReramConfig::Isaac()).adc_bits(400, {8, 8}), 8);
}

TEST(CostModel, AdcPowerAndAreaScaleWithResolution) {
  ReramConfig cfg = ReramConfig::Isaac();
  cfg.adc.resolution = AdcResolution::kLossless;
  const LayerCost c = CostModel(cfg).layer(LayerShape::FullyConnected("fc", 400, 120), {8, 8});
  ASSERT_EQ(c.adc_bits, 10);
  // P(10) = 1.8 mW * 2^(10-8) = 7.2 mW -> 5.625 pJ per conversion; 15392 conversions.
  EXPECT_NEAR(c.energy.adc_pj, 15392 * 5.625, 1e-9);
  EXPECT_NEAR(c.area.adc_mm2, 16 * 0.0012 * 4.0, 1e-15);
}

TEST(CostModel, OffsetColumnNeedsFewerCrossbarsThanDifferentialPairs) {
  ReramConfig diff = ReramConfig::Isaac();
  diff.signed_weights = SignedWeights::kDifferential;
  const auto shape = LayerShape::FullyConnected("fc", 400, 120);
  const LayerCost o = CostModel(ReramConfig::Isaac()).layer(shape, {8, 8});
  const LayerCost d = CostModel(diff).layer(shape, {8, 8});
  EXPECT_EQ(o.columns, 481);   // 120 * 4 + 1
  EXPECT_EQ(d.columns, 960);   // 120 * 4 * 2
  EXPECT_EQ(d.crossbars, 32);  // 4 * ceil(960 / 128) = 4 * 8
  EXPECT_LT(o.crossbars, d.crossbars);
  EXPECT_LT(o.energy_pj(), d.energy_pj());
  EXPECT_LT(o.area_mm2(), d.area_mm2());
  // A column of 1 output still pays the offset column: 1 * 1 slice + 1 = 2 = 1 * 1 * 2.
  const auto tiny = LayerShape::FullyConnected("tiny", 8, 1);
  EXPECT_EQ(CostModel(ReramConfig::Isaac()).layer(tiny, {2, 8}).columns,
            CostModel(diff).layer(tiny, {2, 8}).columns);
}

// Fewer bits (weight or activation) never cost more in any metric, for every scheme and ADC mode.
TEST(CostModel, FewerBitsNeverCostMore) {
  const std::vector<LayerShape> shapes = {
      LayerShape::Conv("c1", 1, 6, 5, 1, 28, 28, 28, 28), LayerShape::Conv("c2", 32, 64, 3, 1, 14, 14, 14, 14),
      LayerShape::FullyConnected("fc", 3136, 256), LayerShape::FullyConnected("f", 84, 10)};
  for (auto scheme : {SignedWeights::kOffsetColumn, SignedWeights::kDifferential}) {
    for (auto adc : {AdcResolution::kFixed, AdcResolution::kLossless}) {
      for (int dac : {1, 2}) {
        ReramConfig cfg = ReramConfig::Isaac();
        cfg.signed_weights = scheme;
        cfg.adc.resolution = adc;
        cfg.dac.bits = dac;
        const CostModel model(cfg);
        for (const auto& s : shapes) {
          for (int w = 1; w <= 16; ++w) {
            for (int a = 1; a <= 16; ++a) {
              const LayerCost here = model.layer(s, {w, a});
              for (LayerBits less : {LayerBits{w - 1, a}, LayerBits{w, a - 1}}) {
                if (less.weight_bits < 1 || less.activation_bits < 1) continue;
                const LayerCost lower = model.layer(s, less, a);  // same output bits: only one input changes
                SCOPED_TRACE(testing::Message() << s.name << " w" << less.weight_bits << " a" << less.activation_bits
                                                << " " << to_string(scheme) << " " << to_string(adc) << " d" << dac);
                EXPECT_LE(lower.crossbars, here.crossbars);
                EXPECT_LE(lower.area_mm2(), here.area_mm2() * (1 + 1e-12));
                EXPECT_LE(lower.energy_pj(), here.energy_pj() * (1 + 1e-12));
                EXPECT_LE(lower.latency_ns, here.latency_ns);
              }
            }
          }
        }
      }
    }
  }
}

TEST(CostModel, NetworkTotalsRatiosAndOutputBits) {
  const CostModel model(ReramConfig::Isaac());
  const std::vector<LayerShape> net = {LayerShape::Conv("c1", 1, 6, 5, 1, 28, 28, 28, 28),
                                       LayerShape::FullyConnected("f", 84, 10)};
  const std::vector<LayerBits> bits = {{8, 8}, {4, 6}};
  const NetworkCost n = model.network(net, bits);
  ASSERT_EQ(n.layers.size(), 2u);
  EXPECT_EQ(n.layers[0].output_bits, 6);  // written at the next layer's activation bits
  EXPECT_EQ(n.layers[1].output_bits, 6);  // the last layer at its own
  EXPECT_EQ(n.crossbars, n.layers[0].crossbars + n.layers[1].crossbars);
  EXPECT_EQ(n.edram_banks, 1);            // ceil(2 / 96)
  EXPECT_NEAR(n.area_mm2(), n.layers[0].area_mm2() + n.layers[1].area_mm2() + 0.086, 1e-12);
  EXPECT_NEAR(n.energy_pj(), n.layers[0].energy_pj() + n.layers[1].energy_pj(), 1e-6);
  EXPECT_DOUBLE_EQ(n.latency_ns, n.layers[0].latency_ns + n.layers[1].latency_ns);
  EXPECT_DOUBLE_EQ(n.pipeline_interval_ns, std::max(n.layers[0].latency_ns, n.layers[1].latency_ns));

  const std::vector<LayerBits> eight(2, LayerBits{8, 8});
  const CostRatio same = model.ratio(net, eight);
  EXPECT_DOUBLE_EQ(same.crossbars, 1.0);
  EXPECT_DOUBLE_EQ(same.area, 1.0);
  EXPECT_DOUBLE_EQ(same.energy, 1.0);
  EXPECT_DOUBLE_EQ(same.latency, 1.0);
  const std::vector<LayerBits> four(2, LayerBits{4, 4});
  const CostRatio r = model.ratio(net, four);
  EXPECT_LT(r.energy, 1.0);
  EXPECT_DOUBLE_EQ(r.latency, 0.5);  // 4 input cycles instead of 8 in every layer
}

TEST(CostModel, BadLayersNameTheLayerAndValue) {
  const CostModel model(ReramConfig::Isaac());
  try {
    model.layer(LayerShape::FullyConnected("fc7", 10, 10), {0, 8});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("fc7"), std::string::npos) << m;
    EXPECT_NE(m.find("weight_bits = 0"), std::string::npos) << m;
    EXPECT_NE(m.find("[1, 16]"), std::string::npos) << m;
  }
  EXPECT_THROW(model.layer(LayerShape::FullyConnected("empty", 0, 10), {8, 8}), std::invalid_argument);
  const std::vector<LayerShape> net = {LayerShape::FullyConnected("f", 8, 8)};
  EXPECT_THROW(model.network(net, std::vector<LayerBits>{}), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::reram
