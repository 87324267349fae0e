#include "accel/aap/functional.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "numerics/rounding.h"
#include "util/int_math.h"

namespace fixar::aap {

using num::int128;
__extension__ typedef unsigned __int128 uint128;  // __extension__: GCC/Clang type, not ISO C++

void FunctionalStats::operator+=(const FunctionalStats& o) {
  macs += o.macs;
  tile_steps += o.tile_steps;
  multiplier_products += o.multiplier_products;
  cross_core_additions += o.cross_core_additions;
  accumulator_wraps += o.accumulator_wraps;
  saturations += o.saturations;
}

namespace {

// Two's-complement wrap of a partial sum to the accumulator width (what a `bits`-wide
// register does); counts every change so that an overflow is never silent.
int128 WrapAcc(int128 v, int bits, std::uint64_t* wraps) {
  const int128 half = static_cast<int128>(1) << (bits - 1);
  if (v >= -half && v < half) return v;
  ++*wraps;
  const uint128 mask = (static_cast<uint128>(1) << bits) - 1;
  const uint128 low = static_cast<uint128>(v) & mask;
  int128 r = static_cast<int128>(low);
  if (r >= half) r -= static_cast<int128>(1) << bits;
  return r;
}

// One PE product. A 32-bit streamed value uses both 32×16 multipliers: the signed upper
// half and the unsigned lower half, the upper product shifted left by 16 and added.
template <typename TS>
int128 PeProduct(std::int64_t held, TS streamed, std::uint64_t* products) {
  if constexpr (sizeof(TS) == 4) {
    const std::int64_t hi = static_cast<std::int32_t>(streamed) >> 16;       // signed 16 bits
    const std::int64_t lo = static_cast<std::uint32_t>(streamed) & 0xFFFFu;  // unsigned 16 bits
    *products += 2;
    return (static_cast<int128>(held * hi) << 16) + static_cast<int128>(held * lo);
  } else {
    *products += 1;
    return static_cast<int128>(held) * static_cast<std::int64_t>(streamed);
  }
}

// Cross-core adder tree: pairwise sums over the cores' partial results, level by level.
int128 AdderTree(std::vector<int128> v, int bits, FunctionalStats* st) {
  while (v.size() > 1) {
    std::vector<int128> next;
    for (size_t i = 0; i + 1 < v.size(); i += 2) {
      next.push_back(WrapAcc(v[i] + v[i + 1], bits, &st->accumulator_wraps));
      ++st->cross_core_additions;
    }
    if (v.size() % 2) next.push_back(v.back());
    v.swap(next);
  }
  return v.empty() ? 0 : v[0];
}


template <typename TA, typename TB, typename TC>
void CheckArgs(const kern::GemmArgs<TA, TB, TC>& g, const kern::OutputStage& stage) {
  if (g.M < 1 || g.N < 1 || g.K < 1)
    throw std::invalid_argument(
        fmt::format("RunGemmOnArray: M = {}, N = {}, K = {}; all must be >= 1", g.M, g.N, g.K));
  if (!g.A || !g.B || !g.C)
    throw std::invalid_argument("RunGemmOnArray: A, B and C must not be null");
  const int a_cols = g.layout == kern::Layout::kTN ? g.M : g.K;
  const int b_cols = g.layout == kern::Layout::kNT ? g.K : g.N;
  if (g.lda < a_cols || g.ldb < b_cols || g.ldc < g.N)
    throw std::invalid_argument(
        fmt::format("RunGemmOnArray: strides lda = {}, ldb = {}, ldc = {} are smaller than the "
                    "rows they step over "
                    "(need lda >= {}, ldb >= {}, ldc >= {})",
                    g.lda, g.ldb, g.ldc, a_cols, b_cols, g.N));
  if (stage.out.word_bits > static_cast<int>(8 * sizeof(TC)))
    throw std::invalid_argument(
        fmt::format("RunGemmOnArray: output format {} does not fit the {}-bit C type",
                    stage.out.to_string(), 8 * sizeof(TC)));
}

}  // namespace

template <typename TA, typename TB, typename TC>
FunctionalStats RunGemmOnArray(const AccelConfig& cfg, const kern::GemmArgs<TA, TB, TC>& g,
                               const kern::OutputStage& stage) {
  CheckArgs(g, stage);
  const int R = cfg.array.rows, Cc = cfg.array.cols, cores = cfg.array.cores;
  const int acc_bits = cfg.array.accumulator_bits;
  FunctionalStats st;
  st.macs = static_cast<std::uint64_t>(g.M) * g.N * g.K;
  std::vector<int128> acc(static_cast<size_t>(g.M) * g.N, 0);  // accumulators / gradient memory
  auto at = [&](int m, int n) -> int128& { return acc[static_cast<size_t>(m) * g.N + n]; };

  if (g.layout == kern::Layout::kNT || g.layout == kern::Layout::kNN) {
    // Held operand (weights) w(k, n); streamed vector element x(m, k).
    auto w = [&](int k, int n) -> std::int64_t {
      return g.layout == kern::Layout::kNT ? g.B[static_cast<size_t>(n) * g.ldb + k]
                                           : g.B[static_cast<size_t>(k) * g.ldb + n];
    };
    auto x = [&](int m, int k) { return g.A[static_cast<size_t>(m) * g.lda + k]; };
    const int out_tiles = static_cast<int>(util::CeilDiv<std::uint64_t>(g.N, Cc)),
              red_tiles = static_cast<int>(util::CeilDiv<std::uint64_t>(g.K, R));
    // Column c of tile (nt, kt) on the PE array: the adder chain down the rows.
    auto column_chain = [&](int m, int nt, int kt, int c) {
      int128 psum = 0;
      for (int r = 0; r < R; ++r) {
        const int k = kt * R + r;
        if (k >= g.K) break;
        psum = WrapAcc(psum + PeProduct(w(k, nt * Cc + c), x(m, k), &st.multiplier_products),
                       acc_bits, &st.accumulator_wraps);
      }
      return psum;
    };
    if (g.M == 1) {
      // Intra-layer parallelism: reduction tiles interleaved across cores, then the adder tree.
      st.tile_steps = static_cast<std::uint64_t>(out_tiles) * util::CeilDiv<std::uint64_t>(red_tiles, cores);
      for (int nt = 0; nt < out_tiles; ++nt)
        for (int c = 0; c < Cc && nt * Cc + c < g.N; ++c) {
          std::vector<int128> per_core(static_cast<size_t>(std::min(cores, red_tiles)), 0);
          for (int kt = 0; kt < red_tiles; ++kt) {
            int128& core_acc = per_core[static_cast<size_t>(kt % cores)];
            core_acc =
                WrapAcc(core_acc + column_chain(0, nt, kt, c), acc_bits, &st.accumulator_wraps);
          }
          at(0, nt * Cc + c) = AdderTree(per_core, acc_bits, &st);
        }
    } else {
      // Intra-batch parallelism: each vector's whole reduction on one core and lane.
      const int lanes = sizeof(TA) == 4 ? 1 : LanesPerPe(cfg.array.mode);
      const std::uint64_t rounds = util::CeilDiv<std::uint64_t>(g.M, static_cast<std::uint64_t>(cores) * lanes);
      st.tile_steps = rounds * out_tiles * red_tiles;
      for (int m = 0; m < g.M; ++m)
        for (int nt = 0; nt < out_tiles; ++nt)
          for (int kt = 0; kt < red_tiles; ++kt)
            for (int c = 0; c < Cc && nt * Cc + c < g.N; ++c)
              at(m, nt * Cc + c) = WrapAcc(at(m, nt * Cc + c) + column_chain(m, nt, kt, c),
                                           acc_bits, &st.accumulator_wraps);
    }
  } else {
    // kTN: C[m][n] = sum over samples k of A[k][m] (dY_m, held) × B[k][n] (x_n, streamed).
    const int lanes = sizeof(TB) == 4 ? 1 : LanesPerPe(cfg.array.mode);
    const int rows_per_tile = R * lanes;
    const int out_tiles = static_cast<int>(util::CeilDiv<std::uint64_t>(g.M, Cc)),
              in_tiles = static_cast<int>(util::CeilDiv<std::uint64_t>(g.N, rows_per_tile));
    const int rounds = static_cast<int>(util::CeilDiv<std::uint64_t>(g.K, cores));
    st.tile_steps = static_cast<std::uint64_t>(rounds) * out_tiles * in_tiles;
    for (int round = 0; round < rounds; ++round)
      for (int mt = 0; mt < out_tiles; ++mt)
        for (int nt = 0; nt < in_tiles; ++nt)
          for (int c = 0; c < Cc && mt * Cc + c < g.M; ++c)
            for (int r = 0; r < rows_per_tile && nt * rows_per_tile + r < g.N; ++r) {
              const int m = mt * Cc + c, n = nt * rows_per_tile + r;
              std::vector<int128> per_core;
              for (int core = 0; core < cores; ++core) {
                const int k = round * cores + core;
                if (k >= g.K) break;
                per_core.push_back(PeProduct(g.A[static_cast<size_t>(k) * g.lda + m],
                                             g.B[static_cast<size_t>(k) * g.ldb + n],
                                             &st.multiplier_products));
              }
              // Reduced tile element, read-modify-written into the gradient memory.
              at(m, n) = WrapAcc(at(m, n) + AdderTree(per_core, acc_bits, &st), acc_bits,
                                 &st.accumulator_wraps);
            }
  }

  // Output stage in the activation unit.
  for (int m = 0; m < g.M; ++m)
    for (int n = 0; n < g.N; ++n) {
      int128 v = at(m, n);
      if (stage.bias) v += stage.bias[n];
      const std::uint64_t counter =
          static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(g.N) + n;
      std::int64_t q =
          num::Requantize(v, stage.acc_frac_bits, stage.out, stage.quant, stage.overflow,
                          num::CounterRandomBits(stage.seed, counter), &st.saturations);
      if (stage.relu && q < 0) q = 0;
      g.C[static_cast<size_t>(m) * g.ldc + n] = static_cast<TC>(q);
    }
  return st;
}

#define FIXAR_AAP_INSTANTIATE(TA, TB, TC)              \
  template FunctionalStats RunGemmOnArray<TA, TB, TC>( \
      const AccelConfig&, const kern::GemmArgs<TA, TB, TC>&, const kern::OutputStage&);
FIXAR_FOR_EACH_INTEGER_GEMM(FIXAR_AAP_INSTANTIATE)
#undef FIXAR_AAP_INSTANTIATE

namespace {

std::vector<std::int16_t> Narrow(const Matrix& m, const std::string& what) {
  std::vector<std::int16_t> out(m.data.size());
  for (size_t i = 0; i < m.data.size(); ++i) {
    if (m.data[i] < INT16_MIN || m.data[i] > INT16_MAX)
      throw std::invalid_argument(
          fmt::format("{}: tensor marked 16-bit holds {} at index {}", what, m.data[i], i));
    out[i] = static_cast<std::int16_t>(m.data[i]);
  }
  return out;
}

template <typename TA, typename TB>
FunctionalStats RunTyped(const AccelConfig& cfg, const ArrayOp& op, const TA* a, const Matrix& ma,
                         const TB* b, const Matrix& mb, Matrix& out, int M, int N, int K,
                         const kern::OutputStage& stage) {
  out.rows = M, out.cols = N;
  out.bits = stage.out.word_bits <= 16 ? 16 : 32;
  out.data.assign(static_cast<size_t>(M) * N, 0);
  kern::GemmArgs<TA, TB, std::int32_t> g;
  g.layout = op.layout, g.M = M, g.N = N, g.K = K;
  g.A = a, g.lda = ma.cols, g.B = b, g.ldb = mb.cols, g.C = out.data.data(), g.ldc = N;
  return RunGemmOnArray(cfg, g, stage);
}

}  // namespace

std::vector<FunctionalStats> RunArrayProgram(
    const AccelConfig& cfg, const std::vector<ArrayOp>& ops, std::map<std::string, Matrix>& tensors,
    const std::map<std::string, std::vector<std::int64_t>>& biases) {
  std::vector<FunctionalStats> stats;
  for (const ArrayOp& op : ops) {
    auto find = [&](const std::string& name, const char* role) -> const Matrix& {
      auto it = tensors.find(name);
      if (it == tensors.end())
        throw std::invalid_argument(
            fmt::format("array op '{}': operand {} names tensor '{}', which does not exist",
                        op.label, role, name));
      return it->second;
    };
    const Matrix ma = find(op.a, "A"), mb = find(op.b, "B");
    int M = 0, N = 0, K = 0, kb = 0;
    switch (op.layout) {
      case kern::Layout::kNT:
        M = ma.rows, K = ma.cols, N = mb.rows, kb = mb.cols;
        break;
      case kern::Layout::kNN:
        M = ma.rows, K = ma.cols, kb = mb.rows, N = mb.cols;
        break;
      case kern::Layout::kTN:
        K = ma.rows, M = ma.cols, kb = mb.rows, N = mb.cols;
        break;
    }
    if (K != kb)
      throw std::invalid_argument(fmt::format(
          "array op '{}': inner dimensions differ (A gives {}, B gives {})", op.label, K, kb));
    kern::OutputStage stage = op.stage;
    stage.bias = nullptr;
    if (!op.bias.empty()) {
      auto it = biases.find(op.bias);
      if (it == biases.end() || it->second.size() != static_cast<size_t>(N))
        throw std::invalid_argument(fmt::format(
            "array op '{}': bias '{}' is missing or not of length {}", op.label, op.bias, N));
      stage.bias = it->second.data();
    }
    Matrix out;
    FunctionalStats s;
    const bool a16 = ma.bits <= 16, b16 = mb.bits <= 16;
    const auto a16v = a16 ? Narrow(ma, op.label + " A") : std::vector<std::int16_t>{};
    const auto b16v = b16 ? Narrow(mb, op.label + " B") : std::vector<std::int16_t>{};
    if (a16 && b16)
      s = RunTyped(cfg, op, a16v.data(), ma, b16v.data(), mb, out, M, N, K, stage);
    else if (a16)
      s = RunTyped(cfg, op, a16v.data(), ma, mb.data.data(), mb, out, M, N, K, stage);
    else if (b16)
      s = RunTyped(cfg, op, ma.data.data(), ma, b16v.data(), mb, out, M, N, K, stage);
    else
      s = RunTyped(cfg, op, ma.data.data(), ma, mb.data.data(), mb, out, M, N, K, stage);
    tensors[op.c] = std::move(out);
    stats.push_back(s);
  }
  return stats;
}

}  // namespace fixar::aap
