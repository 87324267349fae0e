// Every available kernel path against the scalar reference: bit-identical integer
// results and saturation counts, for all type combinations, layouts and output-stage
// options, on awkward shapes and extreme values; identical results for 1 and 2 threads.
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/parallel.h"
#include "kernels/weight_pieces.h"
#include "kernel_state.h"

namespace fixar::kern {
namespace {


struct Shape {
  int M, N, K;
};
// 1, odd sizes, sizes around vector widths (16 / 32 lanes) and tile sizes (8 rows).
const std::vector<Shape> kShapes = {{1, 1, 1},   {1, 37, 40},  {3, 33, 17},  {1, 300, 47},
                                    {8, 32, 32}, {9, 31, 33},  {17, 65, 2},  {5, 7, 0},
                                    {64, 23, 70}, {2, 16, 31}, {13, 40, 64}};

// kTraining: int32 at gradient-like magnitudes (±2^20, some near ±1.5·2^25, the largest
// that still splits into two int16 pieces) and int16 over its full range, -32768 included:
// the piece products of 32-bit operands (gemm.cpp) with short and long int32 chunks.
enum class Values { kSmall, kTypical, kExtreme, kTraining };
const char* Name(Values v) {
  return v == Values::kSmall ? "small" : v == Values::kTypical ? "typical" : v == Values::kExtreme ? "extreme" : "training";
}

template <typename T>
std::vector<T> RandomInts(std::size_t n, Values v, std::mt19937_64& rng) {
  using L = std::numeric_limits<T>;
  std::vector<T> out(n);
  const std::int64_t span = v == Values::kSmall      ? 100
                            : v == Values::kTraining ? (sizeof(T) == 2 ? 32767 : std::int64_t{1} << 20)
                                                     : (std::int64_t{1} << (8 * sizeof(T) - 3));
  std::uniform_int_distribution<std::int64_t> dist(-span, span);
  std::uniform_int_distribution<int> pick(0, 3);
  std::uniform_int_distribution<int> rare(0, 63);
  for (auto& x : out) {
    x = static_cast<T>(dist(rng));
    if (v == Values::kTraining && rare(rng) == 0) {
      const std::int64_t edge = sizeof(T) == 2 ? 32768 : (std::int64_t{3} << 24);
      x = static_cast<T>(rng() & 1 ? -edge : edge - 1);
    }
    if (v == Values::kExtreme) {  // mostly the ends of the range, INT_MIN included
      const int p = pick(rng);
      x = p == 0 ? L::min() : p == 1 ? L::max() : p == 2 ? static_cast<T>(L::min() + 1) : x;
    }
  }
  return out;
}

// Operands stored with padded row strides (ld > row length) to catch stride mistakes.
template <typename TA, typename TB, typename TC>
struct Problem {
  std::vector<TA> a;
  std::vector<TB> b;
  std::vector<std::int64_t> bias;
  GemmArgs<TA, TB, TC> args;
  Problem(Layout layout, Shape s, Values v, std::mt19937_64& rng) {
    args.layout = layout;
    args.M = s.M, args.N = s.N, args.K = s.K;
    const bool a_t = layout == Layout::kTN, b_t = layout == Layout::kNT;
    const int a_rows = a_t ? s.K : s.M, a_cols = a_t ? s.M : s.K;
    const int b_rows = b_t ? s.N : s.K, b_cols = b_t ? s.K : s.N;
    args.lda = a_cols + 3;
    args.ldb = b_cols + 1;
    args.ldc = s.N + 2;
    a = RandomInts<TA>(static_cast<std::size_t>(a_rows) * args.lda + 1, v, rng);
    b = RandomInts<TB>(static_cast<std::size_t>(b_rows) * args.ldb + 1, v, rng);
    std::uniform_int_distribution<std::int64_t> bd(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
    bias.resize(s.N + 1);
    for (auto& x : bias) x = bd(rng);
    args.A = a.data();
    args.B = b.data();
  }
};

struct StageCase {
  int acc_frac, out_frac;
};
// shift = acc_frac - out_frac: 0, small, typical, > 62 (int128 fallback), negative.
const std::vector<StageCase> kStageCases = {{0, 0}, {9, 4}, {24, 8}, {80, 8}, {2, 6}};

template <typename TA, typename TB, typename TC>
// expect_widened: 0 / 1 = Stats::widened_calls of every fast call; -1 = not checked.
void CheckAllPathsMatchReference(Values values, std::uint64_t seed, int expect_widened) {
  std::mt19937_64 rng(seed);
  int case_index = 0;
  for (Layout layout : {Layout::kNT, Layout::kNN, Layout::kTN}) {
    for (const Shape& shape : kShapes) {
      Problem<TA, TB, TC> prob(layout, shape, values, rng);
      OutputStage stage;
      const int q = case_index % 5, o = (case_index / 5) % 2;
      const StageCase sc = kStageCases[(case_index / 3) % kStageCases.size()];
      ++case_index;
      stage.quant = static_cast<num::Quant>(q);
      stage.overflow = static_cast<num::Overflow>(o);
      stage.acc_frac_bits = sc.acc_frac;
      stage.out = num::Signed(8 * sizeof(TC) - (case_index % 3 == 0 ? 3 : 0), sc.out_frac);
      stage.seed = seed + case_index;
      stage.bias = case_index % 2 ? prob.bias.data() : nullptr;
      stage.relu = case_index % 4 == 1;
      const std::string what = std::string("layout ") + to_string(layout) + " M=" +
                               std::to_string(shape.M) + " N=" + std::to_string(shape.N) +
                               " K=" + std::to_string(shape.K) + " values " + Name(values) +
                               " quant " + num::to_string(stage.quant) + " overflow " +
                               num::to_string(stage.overflow) + " out " + stage.out.to_string();

      std::vector<TC> expected(static_cast<std::size_t>(shape.M) * prob.args.ldc + 1, TC{7});
      auto ref_args = prob.args;
      ref_args.C = expected.data();
      const Stats ref_stats = GemmReference(ref_args, stage);
      for (Path path : AvailablePaths()) {
        ForcePath(path);
        for (int threads : {1, 2}) {
          SetNumThreads(threads);
          std::vector<TC> got(expected.size(), TC{7});
          auto args = prob.args;
          args.C = got.data();
          args.split = (case_index % 3 == 0) ? Split::kCols : Split::kAuto;
          const Stats stats = Gemm(args, stage);
          ASSERT_EQ(got, expected) << what << " path " << to_string(path) << " threads " << threads;
          ASSERT_EQ(stats.saturations, ref_stats.saturations) << what << " path " << to_string(path);
          if (expect_widened >= 0 && path != Path::kReference && shape.K > 1) {
            EXPECT_EQ(stats.widened_calls, static_cast<std::uint64_t>(expect_widened)) << what << " path " << to_string(path);
          }
          // Operand bounds given by the caller (as nn gives its weights' per update) instead of
          // scanned: an upper bound (here over the padded buffers) gives the same result.
          auto max_abs = [](const auto& v) {
            std::int64_t m = 0;
            for (auto x : v) m = std::max<std::int64_t>(m, std::abs(static_cast<std::int64_t>(x)));
            return m;
          };
          std::fill(got.begin(), got.end(), TC{7});
          args.a_max_abs = max_abs(prob.a);
          args.b_max_abs = max_abs(prob.b);
          const Stats bounded = Gemm(args, stage);
          ASSERT_EQ(got, expected) << what << " path " << to_string(path) << " threads " << threads << " given bounds";
          ASSERT_EQ(bounded.saturations, ref_stats.saturations) << what << " given bounds";
          // B's int16 pieces cached by its owner (as nn caches its weights'), split on this
          // path, B's bound taken from the cache: the same result.
          WeightPieces pieces;
          const bool b_t = layout == Layout::kNT;
          pieces.Split(prob.b.data(), b_t ? shape.N : shape.K, b_t ? shape.K : shape.N, args.ldb, args.b_max_abs);
          std::fill(got.begin(), got.end(), TC{7});
          args.b_pieces = &pieces;
          args.b_max_abs = -1;
          const Stats cached = Gemm(args, stage);
          ASSERT_EQ(got, expected) << what << " path " << to_string(path) << " threads " << threads << " cached pieces";
          ASSERT_EQ(cached.saturations, ref_stats.saturations) << what << " cached pieces";
          if (expect_widened >= 0 && path != Path::kReference && shape.K > 1) {
            EXPECT_EQ(cached.widened_calls, static_cast<std::uint64_t>(expect_widened)) << what << " cached pieces";
          }
        }
      }
    }
  }
}

template <typename Combo>
class GemmIntTest : public KernelState {};
template <typename A, typename B, typename C>
struct Combo {
  using TA = A;
  using TB = B;
  using TC = C;
};
using Combos = ::testing::Types<
    Combo<std::int16_t, std::int16_t, std::int16_t>, Combo<std::int16_t, std::int16_t, std::int32_t>,
    Combo<std::int16_t, std::int32_t, std::int16_t>, Combo<std::int16_t, std::int32_t, std::int32_t>,
    Combo<std::int32_t, std::int16_t, std::int16_t>, Combo<std::int32_t, std::int16_t, std::int32_t>,
    Combo<std::int32_t, std::int32_t, std::int16_t>, Combo<std::int32_t, std::int32_t, std::int32_t>>;
TYPED_TEST_SUITE(GemmIntTest, Combos);
template <typename C>
constexpr bool kSameWidth = sizeof(typename C::TA) == sizeof(typename C::TB);

TYPED_TEST(GemmIntTest, SmallValuesMatchReferenceWithNarrowAccumulators) {
  using C = TypeParam;
  CheckAllPathsMatchReference<typename C::TA, typename C::TB, typename C::TC>(Values::kSmall, 11, 0);
}

TYPED_TEST(GemmIntTest, TypicalValuesMatchReference) {
  using C = TypeParam;
  // int16 x int16 at ±2^13: K > 32 needs chunked int32 sums; 32-bit operands stay narrow.
  // Same-width operands at a quarter of their range overflow the narrow sum for larger K
  // (depends on the shape: not checked); mixed 16/32-bit products always fit int64.
  CheckAllPathsMatchReference<typename C::TA, typename C::TB, typename C::TC>(
      Values::kTypical, 22, kSameWidth<C> ? -1 : 0);
}

TYPED_TEST(GemmIntTest, ExtremeValuesForceWideAccumulatorsAndMatchReference) {
  using C = TypeParam;
  // INT_MIN·INT_MIN products: int16×int16 cannot use vpmaddwd pairs, int32×int32 sums
  // exceed int64; a 16×32-bit product (< 2^46) sums in int64 for any K here.
  CheckAllPathsMatchReference<typename C::TA, typename C::TB, typename C::TC>(
      Values::kExtreme, 33, kSameWidth<C> ? 1 : 0);
}

TYPED_TEST(GemmIntTest, TrainingMagnitudesMatchReference) {
  using C = TypeParam;
  CheckAllPathsMatchReference<typename C::TA, typename C::TB, typename C::TC>(Values::kTraining, 55, -1);
}

// Float: within a bound of the reference that scales with sum |a·b|, and bit-identical
// between 1 and 2 threads.
TEST_F(KernelState, FloatPathsAgreeWithReferenceAndAcrossThreadCounts) {
  std::mt19937_64 rng(44);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (Layout layout : {Layout::kNT, Layout::kNN, Layout::kTN}) {
    for (Shape s : kShapes) {
      const bool a_t = layout == Layout::kTN, b_t = layout == Layout::kNT;
      GemmArgs<float, float, float> args;
      args.layout = layout;
      args.M = s.M, args.N = s.N, args.K = s.K;
      args.lda = (a_t ? s.M : s.K) + 1;
      args.ldb = (b_t ? s.K : s.N) + 2;
      args.ldc = s.N + 1;
      std::vector<float> a(static_cast<std::size_t>(a_t ? s.K : s.M) * args.lda + 1);
      std::vector<float> b(static_cast<std::size_t>(b_t ? s.N : s.K) * args.ldb + 1);
      std::vector<float> bias(s.N + 1);
      for (auto& x : a) x = dist(rng);
      for (auto& x : b) x = dist(rng);
      for (auto& x : bias) x = dist(rng);
      args.A = a.data();
      args.B = b.data();
      FloatStage stage{bias.data(), s.M % 2 == 1};
      std::vector<float> expected(static_cast<std::size_t>(s.M) * args.ldc + 1, 7.0f);
      auto ref = args;
      ref.C = expected.data();
      GemmF32Reference(ref, stage);
      for (Path path : AvailablePaths()) {
        ForcePath(path);
        std::vector<float> by_threads[2];
        for (int threads : {1, 2}) {
          SetNumThreads(threads);
          auto& got = by_threads[threads - 1];
          got.assign(expected.size(), 7.0f);
          auto run = args;
          run.C = got.data();
          GemmF32(run, stage);
        }
        ASSERT_EQ(by_threads[0], by_threads[1]) << to_string(path) << " " << to_string(layout);
        for (int i = 0; i < s.M; ++i) {
          for (int j = 0; j < s.N; ++j) {
            const std::size_t at = static_cast<std::size_t>(i) * args.ldc + j;
            // |error| <= K · 2^-23 · sum|a·b| (+ bias rounding); sum|a·b| <= K here.
            const float tol = 1e-6f + 2.0f * static_cast<float>(s.K) * static_cast<float>(s.K) * 0x1p-23f;
            ASSERT_NEAR(by_threads[0][at], expected[at], tol)
                << to_string(path) << " " << to_string(layout) << " i=" << i << " j=" << j;
          }
          // Padding between rows untouched.
          if (args.ldc > s.N) {
            ASSERT_EQ(by_threads[0][static_cast<std::size_t>(i) * args.ldc + s.N], 7.0f);
          }
        }
      }
    }
  }
}

// The DDPG shapes at batch 1 and 64 on the fast paths, threads 1 and 2, both splits.
TEST_F(KernelState, DdpgShapesMatchReferenceForBothSplits) {
  std::mt19937_64 rng(55);
  for (Shape s : {Shape{1, 300, 400}, Shape{64, 400, 23}, Shape{64, 6, 300}}) {
    Problem<std::int16_t, std::int16_t, std::int16_t> prob(Layout::kNT, s, Values::kSmall, rng);
    OutputStage stage;
    stage.acc_frac_bits = 20;
    stage.out = num::Signed(16, 10);
    stage.bias = prob.bias.data();
    stage.relu = true;
    std::vector<std::int16_t> expected(static_cast<std::size_t>(s.M) * prob.args.ldc);
    auto ref = prob.args;
    ref.C = expected.data();
    const Stats ref_stats = GemmReference(ref, stage);
    for (Path path : AvailablePaths()) {
      ForcePath(path);
      for (int threads : {1, 2}) {
        SetNumThreads(threads);
        for (Split split : {Split::kRows, Split::kCols, Split::kAuto}) {
          std::vector<std::int16_t> got(expected.size());
          auto args = prob.args;
          args.C = got.data();
          args.split = split;
          const Stats st = Gemm(args, stage);
          ASSERT_EQ(got, expected) << to_string(path) << " M=" << s.M << " N=" << s.N;
          ASSERT_EQ(st.saturations, ref_stats.saturations);
        }
      }
    }
  }
}

// Batch-1 forwards and batched products on cached weight pieces (WeightPieces), against the
// reference on every path, threads 1 and 2, every split: int16 activations over their full
// range (-32768 included) or int32 ones, weights whose top piece is small (long int32
// chunks), near 32767 (chunks of one pair: every step folded into int64), 3 pieces, or
// int16 weights (two pieces); the actor's shapes, K below, at and above a vector.
template <typename TA, typename TB>
void CheckCachedPieces(std::int64_t a_span, std::int64_t b_span, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto fill = [&](auto& v, std::int64_t span) {
    std::uniform_int_distribution<std::int64_t> dist(-span, span);
    for (auto& x : v) x = static_cast<std::remove_reference_t<decltype(x)>>(dist(rng));
    v[0] = static_cast<std::remove_reference_t<decltype(v[0])>>(-span);  // the extreme value itself
  };
  for (Shape s : {Shape{1, 400, 17}, Shape{1, 300, 400}, Shape{1, 6, 300}, Shape{3, 33, 70}, Shape{2, 5, 1},
                  Shape{1, 9, 32}, Shape{4, 17, 33}, Shape{16, 40, 23}}) {
    for (Layout layout : {Layout::kNT, Layout::kNN}) {
      const bool b_t = layout == Layout::kNT;
      std::vector<TA> a(static_cast<std::size_t>(s.M) * s.K + 1);
      std::vector<TB> b(static_cast<std::size_t>(s.N) * s.K + 1);
      fill(a, a_span);
      fill(b, b_span);
      GemmArgs<TA, TB, std::int32_t> args{.layout = layout, .M = s.M, .N = s.N, .K = s.K, .A = a.data(), .lda = s.K,
                                          .B = b.data(), .ldb = b_t ? s.K : s.N, .ldc = s.N};
      // Two stages: the sum shifted right by 14 (its high bits, saturating at ±2^31), and
      // shift 0 (every bit of the sums that fit int32: the narrow spans' in full).
      for (int acc_frac : {30, 16}) {
        OutputStage stage;
        stage.acc_frac_bits = acc_frac;
        stage.out = num::Signed(32, 16);
        std::vector<std::int32_t> expected(static_cast<std::size_t>(s.M) * s.N);
        auto ref = args;
        ref.C = expected.data();
        GemmReference(ref, stage);
        for (Path path : AvailablePaths()) {
          ForcePath(path);
          WeightPieces pieces;
          pieces.Split(b.data(), b_t ? s.N : s.K, b_t ? s.K : s.N, args.ldb, b_span);
          for (int threads : {1, 2}) {
            SetNumThreads(threads);
            for (Split split : {Split::kRows, Split::kCols, Split::kAuto}) {
              std::vector<std::int32_t> got(expected.size(), 7);
              auto run = args;
              run.C = got.data();
              run.split = split;
              run.b_pieces = &pieces;
              Gemm(run, stage);
              ASSERT_EQ(got, expected) << to_string(path) << " " << to_string(layout) << " M=" << s.M
                                       << " N=" << s.N << " K=" << s.K << " threads " << threads << " b span "
                                       << b_span << " shift " << acc_frac - 16;
            }
          }
        }
      }
    }
  }
}

TEST_F(KernelState, CachedWeightPiecesMatchReference) {
  CheckCachedPieces<std::int16_t, std::int32_t>(32768, 1 << 18, 1);               // fixar after the switch
  CheckCachedPieces<std::int16_t, std::int32_t>(32768, (1 << 26) - 1, 2);         // top piece near 32767
  CheckCachedPieces<std::int16_t, std::int32_t>(32768, std::int64_t{1} << 31, 3); // three pieces
  CheckCachedPieces<std::int16_t, std::int16_t>(32768, 32768, 4);                 // ±32768 pairs: not on pieces
  CheckCachedPieces<std::int16_t, std::int16_t>(32768, 16384, 8);                 // w16a16: chunks of 2 pairs
  CheckCachedPieces<std::int16_t, std::int16_t>(100, 100, 5);                     // narrow: int32 sums
  CheckCachedPieces<std::int32_t, std::int32_t>(1 << 20, 1 << 18, 6);             // fixed32: pieces of both
  CheckCachedPieces<std::int32_t, std::int16_t>(1 << 24, 32768, 7);
}

// Short rows (K <= WeightPieces::kColumnFormMaxCols): the batch-1 product on the column
// form of the cached pieces (one output per int32 lane), against the reference on every
// path, threads 1 and 2, 1 and 3 rows of A: K around a pair and a vector, N around a
// vector of int32 lanes, bias, ReLU, saturation and stochastic rounding; one stage
// with shift 0 (every bit of the sum shows) and one scaled to the sum bound (its high bits).
template <typename TA, typename TB>
void CheckShortRows(std::int64_t a_span, std::int64_t b_span, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto fill = [&](auto& v, std::int64_t span) {
    using T = std::remove_reference_t<decltype(v[0])>;
    std::uniform_int_distribution<std::int64_t> dist(-span, span);
    for (auto& x : v) x = static_cast<T>(std::clamp<std::int64_t>(dist(rng), std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
    v[0] = static_cast<T>(std::max<std::int64_t>(-span, std::numeric_limits<T>::min()));  // the extreme values
    v[v.size() / 2] = static_cast<T>(std::min<std::int64_t>(span, std::numeric_limits<T>::max()));
  };
  int bits = 0;
  while ((std::int64_t{1} << bits) < a_span * b_span) ++bits;
  for (int K : {1, 2, 3, 17, 31, 32, 33, 64}) {
    for (int N : {1, 5, 16, 17, 400}) {
      for (int M : {1, 3}) {
        std::vector<TA> a(static_cast<std::size_t>(M) * K);
        std::vector<TB> b(static_cast<std::size_t>(N) * K);
        std::vector<std::int64_t> bias(static_cast<std::size_t>(N));
        fill(a, a_span);
        fill(b, b_span);
        fill(bias, std::int64_t{1} << 20);
        const GemmArgs<TA, TB, std::int32_t> args{.layout = Layout::kNT, .M = M, .N = N, .K = K, .A = a.data(),
                                                  .lda = K, .B = b.data(), .ldb = K, .ldc = N};
        OutputStage exact;  // shift 0, saturating, bias and ReLU
        exact.acc_frac_bits = 16;
        exact.out = num::Signed(32, 16);
        exact.bias = bias.data();
        exact.relu = true;
        OutputStage scaled;  // the sum bound's top bits, rounded stochastically
        scaled.acc_frac_bits = 16 + std::max(0, bits + 7 - 30);
        scaled.out = num::Signed(32, 16);
        scaled.quant = num::Quant::kStochastic;
        scaled.seed = seed;
        for (const OutputStage& stage : {exact, scaled}) {
          std::vector<std::int32_t> expected(static_cast<std::size_t>(M) * N);
          auto ref = args;
          ref.C = expected.data();
          const Stats ref_stats = GemmReference(ref, stage);
          for (Path path : AvailablePaths()) {
            ForcePath(path);
            WeightPieces pieces;
            pieces.Split(b.data(), N, K, K, b_span);
            ASSERT_TRUE(pieces.has_columns());
            for (int threads : {1, 2}) {
              SetNumThreads(threads);
              std::vector<std::int32_t> got(expected.size(), 7);
              auto run = args;
              run.C = got.data();
              run.b_pieces = &pieces;
              const Stats stats = Gemm(run, stage);
              ASSERT_EQ(got, expected) << to_string(path) << " M=" << M << " N=" << N << " K=" << K << " threads "
                                       << threads << " a span " << a_span << " b span " << b_span << " shift "
                                       << stage.acc_frac_bits - 16;
              ASSERT_EQ(stats.saturations, ref_stats.saturations) << to_string(path) << " K=" << K << " N=" << N;
            }
          }
        }
      }
    }
  }
}

TEST_F(KernelState, ShortRowsOnColumnFormMatchReference) {
  CheckShortRows<std::int16_t, std::int32_t>(32768, 1 << 18, 11);                     // fixar: 2 pieces, long chunks
  CheckShortRows<std::int16_t, std::int32_t>(300, 5000, 12);                          // sums unsaturated at shift 0
  CheckShortRows<std::int16_t, std::int32_t>(32768, (1 << 26) - 1, 13);               // top piece near 32767: chunks of 1
  CheckShortRows<std::int16_t, std::int32_t>(32768, std::int64_t{1} << 31, 14);       // 3 pieces, INT32_MIN
  CheckShortRows<std::int16_t, std::int16_t>(32767, 32767, 15);                       // 1 piece, chunks of 1 pair
  CheckShortRows<std::int16_t, std::int16_t>(32768, 16384, 16);                       // 1 piece, chunks of 2 pairs
  CheckShortRows<std::int32_t, std::int32_t>(1 << 20, 1 << 18, 17);                   // pieces of both
  CheckShortRows<std::int32_t, std::int16_t>(std::int64_t{1} << 31, 32767, 18);       // 3 pieces of A
}

// The column form's layout, moved by each path's kernel (4 x 4 blocks and tails) or the
// reference path's loop: pair t of row r of piece p, zero past the rows and the odd last
// column; held for short rows only, and dropped by Clear.
TEST_F(KernelState, WeightPiecesColumnFormHoldsPairsOfEachRow) {
  std::mt19937_64 rng(9);
  for (auto [rows, cols, path] : [] {
         std::vector<std::tuple<int, int, Path>> cases;
         for (Path path : AvailablePaths())
           for (int rows : {1, 21, 32})
             for (int cols : {1, 8, 17, 64, 65}) cases.emplace_back(rows, cols, path);
         return cases;
       }()) {
    ForcePath(path);
    std::vector<std::int32_t> w(static_cast<std::size_t>(rows) * cols);
    for (auto& x : w) x = static_cast<std::int32_t>(rng());
    WeightPieces pieces;
    pieces.Split(w.data(), rows, cols, cols, std::int64_t{1} << 31);
    ASSERT_EQ(pieces.has_columns(), cols <= WeightPieces::kColumnFormMaxCols) << cols;
    SCOPED_TRACE(std::string(to_string(path)) + " rows " + std::to_string(rows) + " cols " + std::to_string(cols));
    if (!pieces.has_columns()) continue;
    const std::size_t stride = pieces.col_stride();
    ASSERT_EQ(stride % WeightPieces::kColumnAlign, 0u);
    ASSERT_GE(stride, static_cast<std::size_t>(rows));
    for (int p = 0; p < pieces.count(); ++p) {
      for (std::size_t t = 0; t < static_cast<std::size_t>(cols + 1) / 2; ++t) {
        for (std::size_t r = 0; r < stride; ++r) {
          for (std::size_t e = 0; e < 2; ++e) {
            const std::size_t c = 2 * t + e;
            const std::int16_t want = r < static_cast<std::size_t>(rows) && c < static_cast<std::size_t>(cols)
                                          ? pieces.piece(p)[r * pieces.ld() + c]
                                          : std::int16_t{0};
            ASSERT_EQ(pieces.columns(p)[(t * stride + r) * 2 + e], want) << "p " << p << " t " << t << " r " << r;
          }
        }
      }
    }
    pieces.Clear();
    EXPECT_FALSE(pieces.has_columns());
  }
}

TEST_F(KernelState, WeightPiecesOfAnotherShapeOrBadSizesThrow) {
  std::vector<std::int32_t> w(12, 5);
  WeightPieces pieces;
  pieces.Split(w.data(), 3, 4, 4, 5);
  EXPECT_EQ(pieces.count(), 2);
  EXPECT_EQ(pieces.ld() % WeightPieces::kPieceRowAlign, 0u);
  std::vector<std::int16_t> a(4, 1);
  std::vector<std::int32_t> c(3);
  GemmArgs<std::int16_t, std::int32_t, std::int32_t> args{.M = 1, .N = 4, .K = 3, .A = a.data(), .lda = 3,
                                                          .B = w.data(), .ldb = 3, .C = c.data(), .ldc = 4};
  args.b_pieces = &pieces;  // 3x4 pieces, but B is 4x3
  try {
    Gemm(args, OutputStage{});
    FAIL() << "pieces of another shape accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("b_pieces holds 3x4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pieces.Split(w.data(), 3, 4, 3, 5), std::invalid_argument);   // ld < cols
  EXPECT_THROW(pieces.Split(w.data(), 3, 4, 4, -1), std::invalid_argument);  // negative bound
}

TEST_F(KernelState, PathNamesRoundTripAndBadNamesThrow) {
  for (Path p : {Path::kReference, Path::kSse4, Path::kAvx2, Path::kAvx512, Path::kAvx512Vnni}) {
    EXPECT_EQ(parse_path(to_string(p)), p);
  }
  try {
    parse_path("avx9000");
    FAIL() << "parse_path accepted a bad name";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("avx9000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("avx512_vnni"), std::string::npos) << e.what();
  }
  const auto paths = AvailablePaths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), Path::kReference);
}

TEST_F(KernelState, ForcingAnUnavailablePathThrows) {
  EXPECT_THROW(ForcePath(static_cast<Path>(42)), std::invalid_argument);
  const auto paths = AvailablePaths();
  for (Path p : {Path::kSse4, Path::kAvx2, Path::kAvx512, Path::kAvx512Vnni}) {
    if (std::find(paths.begin(), paths.end(), p) == paths.end()) {
      try {
        ForcePath(p);
        FAIL() << "ForcePath accepted " << to_string(p);
      } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(to_string(p)), std::string::npos) << e.what();
      }
    }
  }
}

TEST_F(KernelState, BadArgumentsThrowNamingTheField) {
  std::vector<std::int16_t> a(64), b(64), c(64);
  GemmArgs<std::int16_t, std::int16_t, std::int16_t> args;
  args.M = 2, args.N = 2, args.K = 4;
  args.A = a.data(), args.B = b.data(), args.C = c.data();
  args.lda = 3, args.ldb = 4, args.ldc = 2;  // lda < K
  OutputStage stage;
  stage.out = num::Signed(16, 8);
  try {
    Gemm(args, stage);
    FAIL() << "accepted lda < K";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("lda = 3"), std::string::npos) << e.what();
  }
  args.lda = 4;
  stage.out = num::Signed(32, 8);  // does not fit int16 C
  EXPECT_THROW(Gemm(args, stage), std::invalid_argument);
  stage.out = num::Signed(16, 8);
  args.B = nullptr;
  EXPECT_THROW(Gemm(args, stage), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::kern
