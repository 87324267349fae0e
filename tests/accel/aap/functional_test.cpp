// Functional mode: PE-array-order fixed-point arithmetic is bit-identical to the software
// engine's reference (kern::GemmReference when built, and always a plain loop on
// num::Requantize), and its tile steps equal the cycle model's compute cycles.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "accel/aap/functional.h"
#include "accel/aap/model.h"
#include "numerics/rounding.h"

namespace fixar::aap {
namespace {

using kern::Layout;

// The semantics, written as plainly as possible: exact sum, + bias, Requantize, ReLU.
template <typename TA, typename TB, typename TC>
std::uint64_t PlainLoop(const kern::GemmArgs<TA, TB, TC>& g, const kern::OutputStage& s) {
  std::uint64_t sat = 0;
  for (int i = 0; i < g.M; ++i)
    for (int j = 0; j < g.N; ++j) {
      num::int128 acc = 0;
      for (int k = 0; k < g.K; ++k) {
        const std::int64_t a = g.layout == Layout::kTN ? g.A[k * g.lda + i] : g.A[i * g.lda + k];
        const std::int64_t b = g.layout == Layout::kNT ? g.B[j * g.ldb + k] : g.B[k * g.ldb + j];
        acc += static_cast<num::int128>(a) * b;
      }
      if (s.bias) acc += s.bias[j];
      std::int64_t v = num::Requantize(
          acc, s.acc_frac_bits, s.out, s.quant, s.overflow,
          num::CounterRandomBits(s.seed, static_cast<std::uint64_t>(i) * g.N + j), &sat);
      if (s.relu && v < 0) v = 0;
      g.C[i * g.ldc + j] = static_cast<TC>(v);
    }
  return sat;
}

template <typename T>
std::vector<T> Random(std::mt19937_64& rng, size_t n, std::int64_t limit) {
  std::uniform_int_distribution<std::int64_t> d(-limit, limit);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <typename T>
std::int64_t Limit() {  // 16-bit: full range; 32-bit: keep K products inside a 64-bit accumulator
  return sizeof(T) == 2 ? 32767 : (std::int64_t{1} << 26);
}

struct Case {
  Layout layout;
  int M, N, K;
};

template <typename TA, typename TB, typename TC>
void CheckCase(const AccelConfig& cfg, const Case& cs, const kern::OutputStage& stage_in,
               std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int a_rows = cs.layout == Layout::kTN ? cs.K : cs.M,
            a_cols = cs.layout == Layout::kTN ? cs.M : cs.K;
  const int b_rows = cs.layout == Layout::kNT ? cs.N : cs.K,
            b_cols = cs.layout == Layout::kNT ? cs.K : cs.N;
  auto A = Random<TA>(rng, static_cast<size_t>(a_rows) * a_cols, Limit<TA>());
  auto B = Random<TB>(rng, static_cast<size_t>(b_rows) * b_cols, Limit<TB>());
  auto bias = Random<std::int64_t>(rng, cs.N, std::int64_t{1} << 40);
  kern::OutputStage stage = stage_in;
  stage.bias = bias.data();
  std::vector<TC> got(static_cast<size_t>(cs.M) * cs.N), want(got.size());
  kern::GemmArgs<TA, TB, TC> g;
  g.layout = cs.layout, g.M = cs.M, g.N = cs.N, g.K = cs.K;
  g.A = A.data(), g.lda = a_cols, g.B = B.data(), g.ldb = b_cols, g.ldc = cs.N;
  const std::string what =
      fmt::format("layout {} M {} N {} K {} TA {}b TB {}b TC {}b, {} cores {}x{} {} quant {}",
                  static_cast<int>(cs.layout), cs.M, cs.N, cs.K, 8 * sizeof(TA), 8 * sizeof(TB),
                  8 * sizeof(TC), cfg.array.cores, cfg.array.rows, cfg.array.cols,
                  to_string(cfg.array.mode), num::to_string(stage.quant));
  g.C = got.data();
  const FunctionalStats st = RunGemmOnArray(cfg, g, stage);
  g.C = want.data();
  const std::uint64_t sat = PlainLoop(g, stage);
  EXPECT_EQ(got, want) << what;
  EXPECT_EQ(st.saturations, sat) << what;
  EXPECT_EQ(st.accumulator_wraps, 0u) << what;
  EXPECT_EQ(st.macs, static_cast<std::uint64_t>(cs.M) * cs.N * cs.K);
  const bool streamed32 = cs.layout == Layout::kTN ? sizeof(TB) == 4 : sizeof(TA) == 4;
  EXPECT_EQ(st.multiplier_products, st.macs * (streamed32 ? 2 : 1)) << what;
#ifdef FIXAR_AAP_HAVE_KERNELS
  std::vector<TC> engine(got.size());
  g.C = engine.data();
  const kern::Stats ks = kern::GemmReference(g, stage);
  EXPECT_EQ(got, engine) << what << " (vs kern::GemmReference)";
  EXPECT_EQ(st.saturations, ks.saturations) << what;
#endif
  // The functional mode's tile steps are the cycle model's compute cycles for the same op.
  LayerOp op;
  switch (cs.layout) {
    case Layout::kNT:
      op = {Phase::kCriticForward, OpKind::kForward, "f", cs.N, cs.K, cs.M, cs.M == 1, 0};
      break;
    case Layout::kNN:
      op = {Phase::kCriticBackward, OpKind::kInputGrad, "dx", cs.K, cs.N, cs.M, cs.M == 1, 0};
      break;
    case Layout::kTN:
      op = {Phase::kCriticBackward, OpKind::kWeightGrad, "dw", cs.M, cs.N, cs.K, false, 0};
      break;
  }
  const bool lanes_agree = cs.layout == Layout::kNN
                               ? streamed32 || cs.M == 1
                               : (streamed32 == (cfg.array.mode == PeMode::k32)) || cs.M == 1;
  if (lanes_agree) {
    EXPECT_EQ(st.tile_steps, CostOf(cfg, op).compute_cycles) << what;
  }
}

std::vector<AccelConfig> Configs() {
  AccelConfig u50;
  AccelConfig one_core;
  one_core.array.cores = 1, one_core.array.rows = 5, one_core.array.cols = 7;
  AccelConfig three16;
  three16.array.cores = 3, three16.array.rows = 4, three16.array.cols = 4,
  three16.array.mode = PeMode::k16;
  return {u50, one_core, three16};
}

std::vector<Case> Cases() {
  return {{Layout::kNT, 1, 37, 45},    // action inference: one vector, intra-layer
          {Layout::kNT, 9, 37, 45},    // forward on a batch
          {Layout::kNN, 1, 29, 33},    // input gradient, one vector
          {Layout::kNN, 6, 29, 33},    // input gradient on a batch
          {Layout::kTN, 23, 19, 11}};  // weight gradient: 11 samples
}

kern::OutputStage Stage(int acc_frac, num::Format out, num::Quant q, bool relu) {
  kern::OutputStage s;
  s.acc_frac_bits = acc_frac, s.out = out, s.quant = q, s.relu = relu, s.seed = 1234;
  return s;
}

TEST(Functional, ThirtyTwoBitModeMatchesTheReference) {
  std::uint64_t seed = 1;
  for (const auto& cfg : Configs())
    for (const auto& cs : Cases())
      for (num::Quant q : {num::Quant::kFloor, num::Quant::kHalfEven, num::Quant::kHalfUp,
                           num::Quant::kStochastic})
        CheckCase<std::int32_t, std::int32_t, std::int32_t>(
            cfg, cs, Stage(32, num::Signed(32, 12), q, q == num::Quant::kHalfUp), seed++);
}

TEST(Functional, MixedWidthsMatchTheReference) {
  std::uint64_t seed = 100;
  for (const auto& cfg : Configs())
    for (const auto& cs : Cases()) {
      // 16-bit activations × 32-bit weights (post-QAT forward), 16-bit outputs.
      CheckCase<std::int16_t, std::int32_t, std::int16_t>(
          cfg, cs, Stage(24, num::Signed(16, 8), num::Quant::kHalfEven, true), seed++);
      // 32-bit errors × 16-bit activations (weight gradient after QAT).
      CheckCase<std::int32_t, std::int16_t, std::int32_t>(
          cfg, cs, Stage(24, num::Signed(32, 16), num::Quant::kTowardZero, false), seed++);
      CheckCase<std::int16_t, std::int16_t, std::int16_t>(
          cfg, cs, Stage(16, num::Signed(16, 8), num::Quant::kStochastic, false), seed++);
    }
}

TEST(Functional, WrapOverflowModeMatchesToo) {
  CheckCase<std::int32_t, std::int32_t, std::int16_t>(
      AccelConfig{}, {Layout::kNT, 4, 20, 40},
      [] {
        auto s = Stage(20, num::Signed(16, 4), num::Quant::kFloor, false);
        s.overflow = num::Overflow::kWrap;
        return s;
      }(),
      7);
}

TEST(Functional, NarrowAccumulatorWrapsAreCounted) {
  AccelConfig cfg;
  cfg.array.accumulator_bits = 40;
  std::vector<std::int32_t> a(64, INT32_MAX), b(64, INT32_MAX), c(1);
  kern::GemmArgs<std::int32_t, std::int32_t, std::int32_t> g;
  g.layout = Layout::kNT, g.M = 1, g.N = 1, g.K = 64, g.A = a.data(), g.lda = 64, g.B = b.data(),
  g.ldb = 64;
  g.C = c.data(), g.ldc = 1;
  EXPECT_GT(RunGemmOnArray(cfg, g, Stage(0, num::Signed(32, 0), num::Quant::kFloor, false))
                .accumulator_wraps,
            0u);
}

TEST(Functional, RejectsBadArguments) {
  std::vector<std::int32_t> a(4), c(4);
  kern::GemmArgs<std::int32_t, std::int32_t, std::int32_t> g;
  g.M = 2, g.N = 2, g.K = 2, g.A = a.data(), g.lda = 2, g.B = nullptr, g.ldb = 2, g.C = c.data(),
  g.ldc = 2;
  EXPECT_THROW(RunGemmOnArray(AccelConfig{}, g, {}), std::invalid_argument);
}

TEST(Functional, ProgramOfLayerOpsEqualsTheOpsOneByOne) {
  // A two-layer forward pass (ReLU hidden), then the input gradient through layer 2 and the
  // weight gradient of layer 2: the seam for whole-update comparisons.
  std::mt19937_64 rng(9);
  auto mat = [&](int r, int c, int bits, std::int64_t lim) {
    Matrix m{r, c, bits, {}};
    for (auto x : Random<std::int32_t>(rng, static_cast<size_t>(r) * c, lim)) m.data.push_back(x);
    return m;
  };
  std::map<std::string, Matrix> t{{"x", mat(5, 17, 16, 30000)},
                                  {"w1", mat(40, 17, 32, 1 << 20)},
                                  {"w2", mat(6, 40, 32, 1 << 20)},
                                  {"dy", mat(5, 6, 32, 1 << 20)}};
  std::map<std::string, std::vector<std::int64_t>> biases{
      {"b1", Random<std::int64_t>(rng, 40, 1 << 30)}};
  const auto hidden = Stage(24, num::Signed(16, 8), num::Quant::kHalfEven, true);
  const auto grad = Stage(16, num::Signed(32, 16), num::Quant::kHalfEven, false);
  const std::vector<ArrayOp> prog{{"L1.fwd", Layout::kNT, "x", "w1", "h", hidden, "b1"},
                                  {"L2.fwd", Layout::kNT, "h", "w2", "y",
                                   Stage(24, num::Signed(32, 16), num::Quant::kFloor, false), ""},
                                  {"L2.dx", Layout::kNN, "dy", "w2", "dh", grad, ""},
                                  {"L2.dw", Layout::kTN, "dy", "h", "dw2",
                                   Stage(8, num::Signed(32, 8), num::Quant::kHalfEven, false), ""}};
  AccelConfig cfg;
  cfg.array.mode = PeMode::k16;
  const auto stats = RunArrayProgram(cfg, prog, t, biases);
  ASSERT_EQ(stats.size(), 4u);
  EXPECT_EQ(t.at("h").rows, 5);
  EXPECT_EQ(t.at("h").cols, 40);
  EXPECT_EQ(t.at("h").bits, 16);
  EXPECT_EQ(t.at("dw2").rows, 6);
  EXPECT_EQ(t.at("dw2").cols, 40);
  // Layer 1 by hand with the plain loop.
  std::vector<std::int16_t> x16(t.at("x").data.begin(), t.at("x").data.end()), h(5 * 40);
  kern::GemmArgs<std::int16_t, std::int32_t, std::int16_t> g;
  g.layout = Layout::kNT, g.M = 5, g.N = 40, g.K = 17, g.A = x16.data(), g.lda = 17,
  g.B = t.at("w1").data.data();
  g.ldb = 17, g.C = h.data(), g.ldc = 40;
  auto s = hidden;
  s.bias = biases.at("b1").data();
  PlainLoop(g, s);
  EXPECT_EQ(std::vector<std::int32_t>(h.begin(), h.end()), t.at("h").data);
  // Errors name the op and the missing tensor.
  try {
    RunArrayProgram(cfg, {{"bad", Layout::kNT, "nope", "w1", "z", hidden, ""}}, t);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'bad'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos);
  }
}

}  // namespace
}  // namespace fixar::aap
