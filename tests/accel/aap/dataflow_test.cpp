// The dataflow model: op sequence, MAC counts, parallelism, mode and memory effects.
#include <gtest/gtest.h>

#include "accel/aap/model.h"
#include "accel/aap/network.h"

namespace fixar::aap {
namespace {

TEST(Network, TaskSizesAndParameterCounts) {
  const auto hc = TaskNetworks("HalfCheetah");
  EXPECT_EQ(hc.ActorDims(), (std::vector<int>{17, 400, 300, 6}));
  EXPECT_EQ(hc.CriticDims(), (std::vector<int>{23, 400, 300, 1}));
  EXPECT_EQ(hc.ActorParams(), 17 * 400 + 400 + 400 * 300 + 300 + 300 * 6 + 6);
  EXPECT_EQ(TaskNetworks("hopper").action_dim, 3);
  EXPECT_EQ(TaskNetworks("swimmer").state_dim, 8);
  EXPECT_THROW(TaskNetworks("walker"), std::invalid_argument);
  // 32-bit weights of actor + critic: the paper's 1.05 MB weight memory.
  EXPECT_NEAR((hc.ActorParams() + hc.CriticParams()) * 4 / 1e6, 1.05, 0.02);
}

TEST(Schedule, FollowsThePapersTimestepOrder) {
  const auto ops = BuildDdpgTimestep(TaskNetworks("halfcheetah"), 64, {});
  Phase last = Phase::kCriticForward;
  for (const auto& op : ops) {
    EXPECT_GE(static_cast<int>(op.phase), static_cast<int>(last)) << op.label;
    last = op.phase;
  }
  EXPECT_EQ(ops.back().phase, Phase::kActionInference);
  EXPECT_TRUE(ops.back().intra_layer);
  EXPECT_EQ(ops.back().vectors, 1);
}

TEST(Schedule, MacCountMatchesTheDdpgUpdate) {
  const DdpgNetworks n = TaskNetworks("halfcheetah");
  const std::int64_t actor = 17 * 400 + 400 * 300 + 300 * 6, critic = 23 * 400 + 400 * 300 + 300;
  const std::int64_t critic_dx_upper = 400 * 300 + 300 * 1, actor_dx_upper = 400 * 300 + 300 * 6;
  // Per sample: target actor + target critic + critic forward; critic backward (dX of layers
  // 3, 2; dW of all); actor forward + critic forward; critic dX down to the input; actor
  // backward (dX of layers 3, 2; dW of all). Plus one actor forward for the action.
  const std::int64_t per_sample = actor + critic + critic + (critic_dx_upper + critic) + actor +
                                  critic + critic + (actor_dx_upper + actor);
  std::int64_t macs = 0;
  for (const auto& op : BuildDdpgTimestep(n, 64, {})) macs += op.Macs();
  EXPECT_EQ(macs, 64 * per_sample + actor);
  std::int64_t without_targets = 0;
  for (const auto& op : BuildDdpgTimestep(n, 64, {false})) without_targets += op.Macs();
  EXPECT_EQ(without_targets, macs - 64 * (actor + critic));
}

TEST(Model, PeakRatesMatchThePaper) {
  AccelConfig c;
  EXPECT_NEAR(PeakMacsPerSecond(c) / 1e9, 84.0, 0.1);  // paper: 84 GMAC/s in 32-bit mode
  c.array.mode = PeMode::k16;
  EXPECT_NEAR(PeakMacsPerSecond(c) / 1e9, 168.0, 0.1);  // paper: 168 GMAC/s in 16-bit mode
}

TEST(Model, TileQuantizationOfOneForwardLayer) {
  AccelConfig c;  // 2 cores, 16 × 16, 32-bit mode
  LayerOp op{Phase::kCriticForward, OpKind::kForward, "L", 300, 400, 64, false, 0};
  const OpCost k = CostOf(c, op);
  EXPECT_EQ(k.rounds, 32u);                      // 64 samples over 2 cores
  EXPECT_EQ(k.compute_cycles, 32u * 19 * 25);    // ceil(300/16) × ceil(400/16) tiles per round
  EXPECT_EQ(k.latency_cycles, 32u * (16 + 16));  // column chain + pipeline, once per round
  EXPECT_EQ(k.stall_cycles, 0u);                 // 16 lines / cycle from 32 bank ports
  EXPECT_DOUBLE_EQ(static_cast<double>(k.macs) / k.mac_slots, 300.0 / 304.0);
}

TEST(Model, SingleVectorInferenceScalesWithCores) {
  // Intra-layer parallelism: N cores run one vector ~N× faster (compute cycles).
  LayerOp op{Phase::kActionInference, OpKind::kForward, "L2", 300, 400, 1, true, 0};
  AccelConfig one;
  one.array.cores = 1;
  AccelConfig two;
  EXPECT_EQ(CostOf(one, op).compute_cycles, 19u * 25);
  EXPECT_EQ(CostOf(two, op).compute_cycles, 19u * 13);
}

TEST(Model, SixteenBitModeDoublesForwardLanesButNotInputGradients) {
  AccelConfig c32, c16;
  c16.array.mode = PeMode::k16;
  LayerOp fwd{Phase::kCriticForward, OpKind::kForward, "f", 300, 400, 64, false, 0};
  LayerOp dx{Phase::kCriticBackward, OpKind::kInputGrad, "dx", 300, 400, 64, false, 0};
  EXPECT_EQ(CostOf(c16, fwd).compute_cycles * 2, CostOf(c32, fwd).compute_cycles);
  EXPECT_EQ(CostOf(c16, dx).compute_cycles, CostOf(c32, dx).compute_cycles);  // errors are 32-bit
  const auto net = TaskNetworks("halfcheetah");
  EXPECT_GT(SimulateTimestep(c16, net, 256).accel_ips,
            1.2 * SimulateTimestep(c32, net, 256).accel_ips);
}

TEST(Model, WideArraysStallOnWeightBandwidth) {
  AccelConfig c;
  c.array.rows = c.array.cols = 32;  // 32 lines of 1024 bits = 64 line reads per cycle > 32 ports
  LayerOp op{Phase::kCriticForward, OpKind::kForward, "L", 300, 400, 64, false, 0};
  const OpCost k = CostOf(c, op);
  EXPECT_EQ(k.stall_cycles, k.compute_cycles);  // half speed
}

TEST(Model, WeightGradientsReadModifyWriteTheGradientMemory) {
  AccelConfig c;
  LayerOp dw{Phase::kCriticBackward, OpKind::kWeightGrad, "dw", 300, 400, 64, false, 0};
  const OpCost k = CostOf(c, dw);
  EXPECT_EQ(k.compute_cycles, 32u * 19 * 25);
  EXPECT_EQ(k.grad_line_accesses, k.compute_cycles * 32);  // 16 lines read + 16 written per cycle
  EXPECT_EQ(k.stall_cycles, 0u);
}

TEST(Model, MoreCoresMoreThroughputAndPower) {
  const auto net = TaskNetworks("halfcheetah");
  AccelConfig two, four;
  four.array.cores = 4;
  const auto a = SimulateTimestep(two, net, 256), b = SimulateTimestep(four, net, 256);
  EXPECT_GT(b.accel_ips, 1.7 * a.accel_ips);
  EXPECT_GT(b.power_w, a.power_w);
}

}  // namespace
}  // namespace fixar::aap
