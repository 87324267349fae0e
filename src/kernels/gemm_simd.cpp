// SIMD micro-kernels, written once with Google Highway and compiled for each x86 target
// (SSE4, AVX2, AVX3 = AVX-512, AVX3_DL = AVX-512 + VNNI). gemm.cpp packs operands and
// calls these through the SimdKernels table of the path in force.
//
// Target selection: we never call hwy::SetSupportedTargetsForTest or change Highway's
// global ChosenTarget. Instead KernelsFor(path) reads entry `index(target)` of the
// HWY_EXPORT dispatch table directly, the same index HWY_DYNAMIC_DISPATCH would compute
// (HWY_CHOSEN_TARGET_SHIFT, highway.h / targets.h of Highway 1.0.3). Reading a const
// table is thread-safe, so threads may use different paths at the same time.

#include "kernels/detail/hwy_targets.h"  // first: the targets every dispatch table shares

#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/detail/elementwise_kernels.h"
#include "kernels/detail/output_stage.h"
#include "kernels/detail/simd_kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace fixar::kern::detail {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
// Highway always compiles its scalar fallback; no FIXAR Path maps to it (the reference
// path is plain C++), so it gets an empty table that KernelsFor never returns.
SimdKernels GetKernels() { return SimdKernels{}; }
#else

namespace hn = hwy::HWY_NAMESPACE;

using D32 = hn::ScalableTag<std::int32_t>;
using D16 = hn::Repartition<std::int16_t, D32>;
using D64 = hn::Repartition<std::int64_t, D32>;
using DF = hn::ScalableTag<float>;
using V32 = hn::Vec<D32>;
using V16 = hn::Vec<D16>;

// Register blocking: 8 rows x 2 vectors on 32-register AVX-512, 4 x 2 on 16 registers.
constexpr int kTileRows = HWY_TARGET <= HWY_AVX3 ? 8 : 4;
static_assert(kTileRows <= kMaxTileRows);

// acc + a[0]*b[0] + a[1]*b[1] per int32 lane (int16 pairs), exact while the int32 sum
// fits (the caller's bound guarantees it).
HWY_INLINE V32 MulAddPairs(D32 d32, V16 a, V16 b, V32 acc) {
#if HWY_TARGET == HWY_AVX3_DL
  // vpdpwssd (AVX-512 VNNI): Highway 1.0.3 emits vpmaddwd + vpaddd here, and its AVX3_DL
  // target string lacks "avx512vnni", so the intrinsic would need a target pragma, with
  // which GCC 12 shuffled every accumulator through zmm0-15 each iteration. Inline asm
  // with "v" operands (any of zmm0-31) keeps the register-blocked tile in registers.
  (void)d32;
  __m512i sum = acc.raw;
  asm("vpdpwssd %2, %1, %0" : "+v"(sum) : "v"(a.raw), "v"(b.raw));
  return V32{sum};
#else
  V32 unused = hn::Zero(d32);
  return hn::ReorderWidenMulAccumulate(d32, a, b, acc, unused);  // vpmaddwd + vpaddd
#endif
}

HWY_INLINE V16 BroadcastPair(D32 d32, D16 d16, const std::int16_t* p) {
  std::int32_t pair;
  std::memcpy(&pair, p, sizeof(pair));
  return hn::BitCast(d16, hn::Set(d32, pair));
}

// acc0/acc1[r] += Σ over pairs [p0, p1) of row r's pair times the panel's two vectors;
// the panel holds (K + 1) / 2 pairs, the last one {A'(r, K-1), 0} when K is odd.
HWY_INLINE void AccumulatePairs(const std::int16_t* const* a_rows, std::size_t K, std::size_t p0,
                                std::size_t p1, const std::int16_t* panel, V32* acc0, V32* acc1) {
  const D32 d32;
  const D16 d16;
  const std::size_t L16 = hn::Lanes(d16);
  const std::size_t full_pairs = K / 2;
  const std::size_t loop_end = p1 < full_pairs ? p1 : full_pairs;
  const std::int16_t* b = panel + p0 * 2 * L16;
  for (std::size_t p = p0; p < loop_end; ++p, b += 2 * L16) {
    const V16 b0 = hn::LoadU(d16, b), b1 = hn::LoadU(d16, b + L16);
    for (int r = 0; r < kTileRows; ++r) {
      const V16 a = BroadcastPair(d32, d16, a_rows[r] + 2 * p);
      acc0[r] = MulAddPairs(d32, a, b0, acc0[r]);
      acc1[r] = MulAddPairs(d32, a, b1, acc1[r]);
    }
  }
  if (p1 > full_pairs) {  // odd K: the last pair is {A'(r, K-1), 0}
    const V16 b0 = hn::LoadU(d16, b), b1 = hn::LoadU(d16, b + L16);
    for (int r = 0; r < kTileRows; ++r) {
      const std::int32_t lone = static_cast<std::uint16_t>(a_rows[r][K - 1]);
      const V16 a = hn::BitCast(d16, hn::Set(d32, lone));
      acc0[r] = MulAddPairs(d32, a, b0, acc0[r]);
      acc1[r] = MulAddPairs(d32, a, b1, acc1[r]);
    }
  }
}

// ---- int16 x int16 -> int32, kTileRows x (2 vectors of int32) --------------------
void I16Tile(const std::int16_t* const* a_rows, std::size_t K, std::size_t pair_begin,
             std::size_t pair_end, const std::int16_t* panel, std::int32_t* out) {
  const D32 d32;
  const std::size_t L32 = hn::Lanes(d32);
  V32 acc0[kTileRows], acc1[kTileRows];
  for (int r = 0; r < kTileRows; ++r) acc0[r] = acc1[r] = hn::Zero(d32);
  AccumulatePairs(a_rows, K, pair_begin, pair_end, panel, acc0, acc1);
  for (int r = 0; r < kTileRows; ++r) {
    hn::StoreU(acc0[r], d32, out + r * 2 * L32);
    hn::StoreU(acc1[r], d32, out + r * 2 * L32 + L32);
  }
}

// ---- int16 pieces -> int64: chunks of int32 sums folded into int64, shifted -------------
// out (kTileRows x 2·L32 int64, row stride 2·L32) += Σ_chunks (Σ_pairs a·b) << shift, where
// each chunk of `chunk_pairs` pairs sums exactly in int32 (the caller's bound). The
// products of 32-bit operands are sums of such int16 piece products (gemm.cpp).
void I16TileWide(const std::int16_t* const* a_rows, std::size_t K, std::size_t chunk_pairs,
                 const std::int16_t* panel, int shift, std::int64_t* out) {
  const D32 d32;
  const D64 d64;
  const hn::Half<D32> dh;
  const std::size_t L32 = hn::Lanes(d32), L64 = hn::Lanes(d64);
  const std::size_t pairs = (K + 1) / 2;
  for (std::size_t p0 = 0; p0 < pairs; p0 += chunk_pairs) {
    const std::size_t p1 = pairs - p0 < chunk_pairs ? pairs : p0 + chunk_pairs;
    V32 acc0[kTileRows], acc1[kTileRows];
    for (int r = 0; r < kTileRows; ++r) acc0[r] = acc1[r] = hn::Zero(d32);
    AccumulatePairs(a_rows, K, p0, p1, panel, acc0, acc1);
    for (int r = 0; r < kTileRows; ++r) {
      std::int64_t* o = out + r * 2 * L32;
      const V32 halves[2] = {acc0[r], acc1[r]};
      for (int h = 0; h < 2; ++h) {
        const auto lo = hn::ShiftLeftSame(hn::PromoteTo(d64, hn::LowerHalf(dh, halves[h])), shift);
        const auto hi = hn::ShiftLeftSame(hn::PromoteTo(d64, hn::UpperHalf(dh, halves[h])), shift);
        std::int64_t* oh = o + h * L32;
        hn::StoreU(hn::Add(hn::LoadU(d64, oh), lo), d64, oh);
        hn::StoreU(hn::Add(hn::LoadU(d64, oh + L64), hi), d64, oh + L64);
      }
    }
  }
}

// ---- 32-bit operand -> int16 pieces (gemm.cpp, "sums of int16 pieces") ----------------
// digit = ((v + 1024) mod 2048) − 1024 and the rest floor((v + 1024) / 2048), written as
// (v >> 11) + (((v & 2047) + 1024) >> 11) so that no int32 step overflows.
void SplitPiecesI32(const std::int32_t* x, std::size_t n, int count, std::int16_t* const* out) {
  const D32 d32;
  const hn::Rebind<std::uint16_t, D32> du16;
  const hn::Rebind<std::int16_t, D32> di16;
  const hn::RebindToUnsigned<D32> du32;
  const std::size_t L = hn::Lanes(d32);
  const V32 low_mask = hn::Set(d32, 2047), half = hn::Set(d32, 1024);
  auto store16 = [&](V32 v, std::int16_t* p) {
    hn::StoreU(hn::BitCast(di16, hn::TruncateTo(du16, hn::BitCast(du32, v))), di16, p);
  };
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    V32 v = hn::LoadU(d32, x + i);
    for (int p = 0; p + 1 < count; ++p) {
      const V32 biased = hn::Add(hn::And(v, low_mask), half);  // in [1024, 3071]
      store16(hn::Sub(hn::And(biased, low_mask), half), out[p] + i);
      v = hn::Add(hn::ShiftRight<11>(v), hn::ShiftRight<11>(biased));
    }
    store16(v, out[count - 1] + i);
  }
  for (; i < n; ++i) {
    std::int64_t v = x[i];
    for (int p = 0; p + 1 < count; ++p) {
      const std::int64_t digit = ((v + 1024) & 2047) - 1024;
      out[p][i] = static_cast<std::int16_t>(digit);
      v = (v - digit) >> 11;
    }
    out[count - 1][i] = static_cast<std::int16_t>(v);
  }
}

// ---- WeightPieces' column form: pairs of rows transposed in 4 x 4 blocks of int32 ---------
void PairColumns(const std::int16_t* src, std::size_t ld, std::size_t rows, std::size_t pairs, std::int16_t* dst,
                 std::size_t stride) {
  const hn::Full128<std::int16_t> d16;
  const hn::Full128<std::int32_t> d32;
  const hn::Full128<std::int64_t> d64;
  auto move = [&](std::size_t r, std::size_t t) { std::memcpy(dst + 2 * (t * stride + r), src + r * ld + 2 * t, 4); };
  std::size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    std::size_t t = 0;
    for (; t + 4 <= pairs; t += 4) {
      hn::Vec128<std::int32_t> v[4];
      for (std::size_t i = 0; i < 4; ++i) v[i] = hn::BitCast(d32, hn::LoadU(d16, src + (r + i) * ld + 2 * t));
      // rows (a, b, c, d) of pairs 0..3 -> (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3)
      const auto ab01 = hn::BitCast(d64, hn::InterleaveLower(d32, v[0], v[1]));
      const auto ab23 = hn::BitCast(d64, hn::InterleaveUpper(d32, v[0], v[1]));
      const auto cd01 = hn::BitCast(d64, hn::InterleaveLower(d32, v[2], v[3]));
      const auto cd23 = hn::BitCast(d64, hn::InterleaveUpper(d32, v[2], v[3]));
      const hn::Vec128<std::int64_t> col[4] = {hn::InterleaveLower(d64, ab01, cd01), hn::InterleaveUpper(d64, ab01, cd01),
                                               hn::InterleaveLower(d64, ab23, cd23), hn::InterleaveUpper(d64, ab23, cd23)};
      for (std::size_t i = 0; i < 4; ++i) hn::StoreU(hn::BitCast(d16, col[i]), d16, dst + 2 * ((t + i) * stride + r));
    }
    for (; t < pairs; ++t)
      for (std::size_t i = 0; i < 4; ++i) move(r + i, t);
  }
  for (; r < rows; ++r)
    for (std::size_t t = 0; t < pairs; ++t) move(r, t);
}

// ---- int16 matrix-vector (batch 1): vectors along K, no packing ---------------------
// The last partial vector is handled by re-reading the final full vector [K-L, K) with
// the already-counted lanes of `a` zeroed, so nothing is read past a row.
void I16Gemv(const std::int16_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb,
             std::size_t count, std::int32_t* out) {
  const D32 d32;
  const D16 d16;
  const std::size_t L = hn::Lanes(d16);
  const std::size_t full = K / L * L;
  const std::size_t tail_start = K - L;  // K >= L (i16_gemv_min_k)
  const V16 a_tail = hn::IfThenElseZero(hn::Not(hn::FirstN(d16, L - (K - full))),
                                        hn::LoadU(d16, a + tail_start));
  const bool has_tail = full != K;
  std::size_t j = 0;
  for (; j + 4 <= count; j += 4) {
    const std::int16_t* b0 = B + j * ldb;
    const std::int16_t* b1 = b0 + ldb;
    const std::int16_t* b2 = b1 + ldb;
    const std::int16_t* b3 = b2 + ldb;
    V32 s0 = hn::Zero(d32), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t k = 0; k < full; k += L) {
      const V16 va = hn::LoadU(d16, a + k);
      s0 = MulAddPairs(d32, va, hn::LoadU(d16, b0 + k), s0);
      s1 = MulAddPairs(d32, va, hn::LoadU(d16, b1 + k), s1);
      s2 = MulAddPairs(d32, va, hn::LoadU(d16, b2 + k), s2);
      s3 = MulAddPairs(d32, va, hn::LoadU(d16, b3 + k), s3);
    }
    if (has_tail) {
      s0 = MulAddPairs(d32, a_tail, hn::LoadU(d16, b0 + tail_start), s0);
      s1 = MulAddPairs(d32, a_tail, hn::LoadU(d16, b1 + tail_start), s1);
      s2 = MulAddPairs(d32, a_tail, hn::LoadU(d16, b2 + tail_start), s2);
      s3 = MulAddPairs(d32, a_tail, hn::LoadU(d16, b3 + tail_start), s3);
    }
    out[j + 0] = hn::GetLane(hn::SumOfLanes(d32, s0));
    out[j + 1] = hn::GetLane(hn::SumOfLanes(d32, s1));
    out[j + 2] = hn::GetLane(hn::SumOfLanes(d32, s2));
    out[j + 3] = hn::GetLane(hn::SumOfLanes(d32, s3));
  }
  for (; j < count; ++j) {
    const std::int16_t* bj = B + j * ldb;
    V32 s = hn::Zero(d32);
    for (std::size_t k = 0; k < full; k += L) {
      s = MulAddPairs(d32, hn::LoadU(d16, a + k), hn::LoadU(d16, bj + k), s);
    }
    if (has_tail) s = MulAddPairs(d32, a_tail, hn::LoadU(d16, bj + tail_start), s);
    out[j] = hn::GetLane(hn::SumOfLanes(d32, s));
  }
}

// ---- matrix-vector (batch 1) of int16 pieces, int32 chunks folded into int64 -----------
// acc64 += (both halves of acc32's lanes, widened) << shift.
HWY_INLINE hn::Vec<D64> FoldShifted(V32 acc32, int shift, hn::Vec<D64> acc64) {
  const D64 d64;
  const hn::Half<D32> dh;
  const auto lo = hn::PromoteTo(d64, hn::LowerHalf(dh, acc32));
  const auto hi = hn::PromoteTo(d64, hn::UpperHalf(dh, acc32));
  return hn::Add(acc64, hn::ShiftLeftSame(hn::Add(lo, hi), shift));
}

// Rows b[0..3] (ld apart in the caller) times a over vector steps [0, steps), one piece
// product, in int32 chunks of `chunk` steps folded into s[0..3].
HWY_INLINE void PieceRows4(const std::int16_t* a, const std::int16_t* const* b, std::size_t steps,
                           std::size_t chunk, int shift, hn::Vec<D64>* s) {
  const D32 d32;
  const D16 d16;
  const std::size_t L = hn::Lanes(d16);
  for (std::size_t c0 = 0; c0 < steps; c0 += chunk) {
    const std::size_t c1 = steps - c0 < chunk ? steps : c0 + chunk;
    V32 t0 = hn::Zero(d32), t1 = t0, t2 = t0, t3 = t0;
    for (std::size_t k = c0 * L; k < c1 * L; k += L) {
      const V16 va = hn::LoadU(d16, a + k);
      t0 = MulAddPairs(d32, va, hn::LoadU(d16, b[0] + k), t0);
      t1 = MulAddPairs(d32, va, hn::LoadU(d16, b[1] + k), t1);
      t2 = MulAddPairs(d32, va, hn::LoadU(d16, b[2] + k), t2);
      t3 = MulAddPairs(d32, va, hn::LoadU(d16, b[3] + k), t3);
    }
    s[0] = FoldShifted(t0, shift, s[0]);
    s[1] = FoldShifted(t1, shift, s[1]);
    s[2] = FoldShifted(t2, shift, s[2]);
    s[3] = FoldShifted(t3, shift, s[3]);
  }
}

// The same for two pieces of B at once (b0, b1: rows of pieces q and q + 1, shifts
// shift and shift + 11): one load of a serves eight products; chunks of the shorter length.
HWY_INLINE void PieceRows4Both(const std::int16_t* a, const std::int16_t* const* b0, const std::int16_t* const* b1,
                               std::size_t steps, std::size_t chunk, int shift, hn::Vec<D64>* s) {
  const D32 d32;
  const D16 d16;
  const std::size_t L = hn::Lanes(d16);
  for (std::size_t c0 = 0; c0 < steps; c0 += chunk) {
    const std::size_t c1 = steps - c0 < chunk ? steps : c0 + chunk;
    V32 t0 = hn::Zero(d32), t1 = t0, t2 = t0, t3 = t0, u0 = t0, u1 = t0, u2 = t0, u3 = t0;
    for (std::size_t k = c0 * L; k < c1 * L; k += L) {
      const V16 va = hn::LoadU(d16, a + k);
      t0 = MulAddPairs(d32, va, hn::LoadU(d16, b0[0] + k), t0);
      u0 = MulAddPairs(d32, va, hn::LoadU(d16, b1[0] + k), u0);
      t1 = MulAddPairs(d32, va, hn::LoadU(d16, b0[1] + k), t1);
      u1 = MulAddPairs(d32, va, hn::LoadU(d16, b1[1] + k), u1);
      t2 = MulAddPairs(d32, va, hn::LoadU(d16, b0[2] + k), t2);
      u2 = MulAddPairs(d32, va, hn::LoadU(d16, b1[2] + k), u2);
      t3 = MulAddPairs(d32, va, hn::LoadU(d16, b0[3] + k), t3);
      u3 = MulAddPairs(d32, va, hn::LoadU(d16, b1[3] + k), u3);
    }
    s[0] = FoldShifted(u0, shift + 11, FoldShifted(t0, shift, s[0]));
    s[1] = FoldShifted(u1, shift + 11, FoldShifted(t1, shift, s[1]));
    s[2] = FoldShifted(u2, shift + 11, FoldShifted(t2, shift, s[2]));
    s[3] = FoldShifted(u3, shift + 11, FoldShifted(t3, shift, s[3]));
  }
}

// detail::PieceGemv, four output rows at a time (a last partial group repeats its last
// row; the repeats are dropped).
void I16GemvPieces(const PieceGemv& g, std::size_t count, std::int64_t* out) {
  const D64 d64;
  const std::size_t steps = g.ld / hn::Lanes(D16());
  for (std::size_t j = 0; j < count; j += 4) {
    const std::size_t rows = count - j < 4 ? count - j : 4;
    hn::Vec<D64> s[4] = {hn::Zero(d64), hn::Zero(d64), hn::Zero(d64), hn::Zero(d64)};
    const std::int16_t* b[kMaxPieces][4];
    for (int q = 0; q < g.b_count; ++q)
      for (std::size_t r = 0; r < 4; ++r) b[q][r] = g.b[q] + (j + (r < rows ? r : rows - 1)) * g.ld;
    for (int p = 0; p < g.a_count; ++p) {
      int q = 0;
      for (; q + 1 < g.b_count; q += 2) {
        const std::size_t c0 = g.chunk_pairs[p][q], c1 = g.chunk_pairs[p][q + 1];
        PieceRows4Both(g.a[p], b[q], b[q + 1], steps, c0 < c1 ? c0 : c1, 11 * (p + q), s);
      }
      if (q < g.b_count) PieceRows4(g.a[p], b[q], steps, g.chunk_pairs[p][q], 11 * (p + q), s);
    }
    for (std::size_t r = 0; r < rows; ++r) out[j + r] = hn::GetLane(hn::SumOfLanes(d64, s[r]));
  }
}

// ---- the same in column form (WeightPieces::columns): one output per int32 lane ----------
// NV vectors of outputs at a time: per pair row, one broadcast pair of a times NV vectors of
// output pairs; int32 chunks folded into int64 lanes in output order (lower, upper half).
constexpr int kColVectors = HWY_TARGET <= HWY_AVX3 ? 4 : 2;

template <int NV>
HWY_INLINE void PieceColumns(const PieceGemv& g, std::size_t j, std::int64_t* out, std::size_t count) {
  const D32 d32;
  const D16 d16;
  const D64 d64;
  const hn::Half<D32> dh;
  const std::size_t L = hn::Lanes(d32), H = hn::Lanes(d64);
  hn::Vec<D64> lo[NV], hi[NV];
  for (int v = 0; v < NV; ++v) lo[v] = hi[v] = hn::Zero(d64);
  for (int p = 0; p < g.a_count; ++p) {
    for (int q = 0; q < g.b_count; ++q) {
      const std::size_t chunk = g.chunk_pairs[p][q];
      const int shift = 11 * (p + q);
      for (std::size_t t0 = 0; t0 < g.pairs; t0 += chunk) {
        const std::size_t t1 = g.pairs - t0 < chunk ? g.pairs : t0 + chunk;
        V32 acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = hn::Zero(d32);
        const std::int16_t* b = g.b[q] + t0 * g.ld + 2 * j;
        for (std::size_t t = t0; t < t1; ++t, b += g.ld) {
          const V16 a = BroadcastPair(d32, d16, g.a[p] + 2 * t);
          for (int v = 0; v < NV; ++v) acc[v] = MulAddPairs(d32, a, hn::LoadU(d16, b + 2 * L * v), acc[v]);
        }
        for (int v = 0; v < NV; ++v) {
          lo[v] = hn::Add(lo[v], hn::ShiftLeftSame(hn::PromoteTo(d64, hn::LowerHalf(dh, acc[v])), shift));
          hi[v] = hn::Add(hi[v], hn::ShiftLeftSame(hn::PromoteTo(d64, hn::UpperHalf(dh, acc[v])), shift));
        }
      }
    }
  }
  for (int v = 0; v < NV; ++v) {
    const std::size_t o = j + v * L;
    if (o + L <= count) {
      hn::StoreU(lo[v], d64, out + o);
      hn::StoreU(hi[v], d64, out + o + H);
    } else if (o < count) {  // the last partial vector
      std::int64_t tmp[2 * HWY_LANES(std::int64_t)];
      hn::StoreU(lo[v], d64, tmp);
      hn::StoreU(hi[v], d64, tmp + H);
      for (std::size_t r = 0; o + r < count; ++r) out[o + r] = tmp[r];
    }
  }
}

// detail::PieceGemv in column form: kColVectors vectors of outputs at a time, then single
// vectors (the last one partial: its padded outputs are computed and dropped).
void I16GemvPiecesCols(const PieceGemv& g, std::size_t count, std::int64_t* out) {
  const std::size_t L = hn::Lanes(D32());
  std::size_t j = 0;
  for (; j + kColVectors * L <= count; j += kColVectors * L) PieceColumns<kColVectors>(g, j, out, count);
  for (; j < count; j += L) PieceColumns<1>(g, j, out, count);
}

// ---- matrix-vector (batch 1) with int64 sums, any operand widths ------------------------
// out[j] = Σ_k a[k]·B[j][k] for j < count: both operands widened to int64 lanes (their
// values fit int32), vpmuldq products, int64 lane sums reduced at the end. Exact when the
// sum bound fits int64 (the caller's narrow64); no packing.
template <typename T>
HWY_INLINE hn::Vec<D64> LoadWide(const T* p) {
  const hn::Rebind<std::int32_t, D64> d32h;
  if constexpr (sizeof(T) == 2) {  // int16 -> int32 -> int64 (no direct promotion in Highway 1.0)
    return hn::PromoteTo(D64(), hn::PromoteTo(d32h, hn::LoadU(hn::Rebind<T, D64>(), p)));
  } else {
    return hn::PromoteTo(D64(), hn::LoadU(d32h, p));
  }
}
template <typename TA, typename TB>
void I64Gemv(const TA* a, std::size_t K, const TB* B, std::size_t ldb, std::size_t count, std::int64_t* out) {
  const D64 d64;
  const D32 d32;
  using V64 = hn::Vec<D64>;
  const std::size_t L = hn::Lanes(d64);
  const std::size_t full = K / L * L;
  auto mul = [&](V64 x, V64 y) { return hn::MulEven(hn::BitCast(d32, x), hn::BitCast(d32, y)); };
  std::size_t j = 0;
  for (; j + 4 <= count; j += 4) {
    const TB* b0 = B + j * ldb;
    const TB* b1 = b0 + ldb;
    const TB* b2 = b1 + ldb;
    const TB* b3 = b2 + ldb;
    V64 s0 = hn::Zero(d64), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t k = 0; k < full; k += L) {
      const V64 va = LoadWide(a + k);
      s0 = hn::Add(s0, mul(va, LoadWide(b0 + k)));
      s1 = hn::Add(s1, mul(va, LoadWide(b1 + k)));
      s2 = hn::Add(s2, mul(va, LoadWide(b2 + k)));
      s3 = hn::Add(s3, mul(va, LoadWide(b3 + k)));
    }
    std::int64_t t0 = hn::GetLane(hn::SumOfLanes(d64, s0)), t1 = hn::GetLane(hn::SumOfLanes(d64, s1));
    std::int64_t t2 = hn::GetLane(hn::SumOfLanes(d64, s2)), t3 = hn::GetLane(hn::SumOfLanes(d64, s3));
    for (std::size_t k = full; k < K; ++k) {
      const std::int64_t ak = a[k];
      t0 += ak * b0[k];
      t1 += ak * b1[k];
      t2 += ak * b2[k];
      t3 += ak * b3[k];
    }
    out[j] = t0;
    out[j + 1] = t1;
    out[j + 2] = t2;
    out[j + 3] = t3;
  }
  for (; j < count; ++j) {
    const TB* bj = B + j * ldb;
    V64 sv = hn::Zero(d64);
    for (std::size_t k = 0; k < full; k += L) sv = hn::Add(sv, mul(LoadWide(a + k), LoadWide(bj + k)));
    std::int64_t t = hn::GetLane(hn::SumOfLanes(d64, sv));
    for (std::size_t k = full; k < K; ++k) t += static_cast<std::int64_t>(a[k]) * bj[k];
    out[j] = t;
  }
}
void I64Gemv1616(const std::int16_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb, std::size_t n,
                 std::int64_t* out) {
  I64Gemv(a, K, B, ldb, n, out);
}
void I64Gemv1632(const std::int16_t* a, std::size_t K, const std::int32_t* B, std::size_t ldb, std::size_t n,
                 std::int64_t* out) {
  I64Gemv(a, K, B, ldb, n, out);
}
void I64Gemv3216(const std::int32_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb, std::size_t n,
                 std::int64_t* out) {
  I64Gemv(a, K, B, ldb, n, out);
}
void I64Gemv3232(const std::int32_t* a, std::size_t K, const std::int32_t* B, std::size_t ldb, std::size_t n,
                 std::int64_t* out) {
  I64Gemv(a, K, B, ldb, n, out);
}

// ---- 32-bit operands -> int64: vpmuldq (MulEven) on int64 lanes ----------------------
// The panel holds B' as int64; MulEven multiplies the low (sign-correct) 32 bits of each
// 64-bit lane, so a broadcast int64 of A' times the panel gives exact 64-bit products.
template <typename TA>
void I64Tile(const TA* const* a_rows, std::size_t k_begin, std::size_t k_end,
             const std::int64_t* panel, std::int64_t* out) {
  const D64 d64;
  const D32 d32;
  const std::size_t L = hn::Lanes(d64);
  using V64 = hn::Vec<D64>;
  V64 acc0[kTileRows], acc1[kTileRows];
  for (int r = 0; r < kTileRows; ++r) acc0[r] = acc1[r] = hn::Zero(d64);
  const std::int64_t* b = panel + k_begin * 2 * L;
  for (std::size_t k = k_begin; k < k_end; ++k, b += 2 * L) {
    const auto b0 = hn::BitCast(d32, hn::LoadU(d64, b));
    const auto b1 = hn::BitCast(d32, hn::LoadU(d64, b + L));
    for (int r = 0; r < kTileRows; ++r) {
      const auto a = hn::BitCast(d32, hn::Set(d64, static_cast<std::int64_t>(a_rows[r][k])));
      acc0[r] = hn::Add(acc0[r], hn::MulEven(a, b0));
      acc1[r] = hn::Add(acc1[r], hn::MulEven(a, b1));
    }
  }
  for (int r = 0; r < kTileRows; ++r) {
    hn::StoreU(acc0[r], d64, out + r * 2 * L);
    hn::StoreU(acc1[r], d64, out + r * 2 * L + L);
  }
}
void I64TileA16(const std::int16_t* const* a, std::size_t kb, std::size_t ke,
                const std::int64_t* panel, std::int64_t* out) {
  I64Tile(a, kb, ke, panel, out);
}
void I64TileA32(const std::int32_t* const* a, std::size_t kb, std::size_t ke,
                const std::int64_t* panel, std::int64_t* out) {
  I64Tile(a, kb, ke, panel, out);
}

// ---- float32: broadcast A', FMA with the panel, k in order ---------------------------
void F32Tile(const float* const* a_rows, std::size_t K, const float* panel, float* out) {
  const DF df;
  const std::size_t L = hn::Lanes(df);
  using VF = hn::Vec<DF>;
  VF acc0[kTileRows], acc1[kTileRows];
  for (int r = 0; r < kTileRows; ++r) acc0[r] = acc1[r] = hn::Zero(df);
  const float* b = panel;
  for (std::size_t k = 0; k < K; ++k, b += 2 * L) {
    const VF b0 = hn::LoadU(df, b), b1 = hn::LoadU(df, b + L);
    for (int r = 0; r < kTileRows; ++r) {
      const VF a = hn::Set(df, a_rows[r][k]);
      acc0[r] = hn::MulAdd(a, b0, acc0[r]);
      acc1[r] = hn::MulAdd(a, b1, acc1[r]);
    }
  }
  for (int r = 0; r < kTileRows; ++r) {
    hn::StoreU(acc0[r], df, out + r * 2 * L);
    hn::StoreU(acc1[r], df, out + r * 2 * L + L);
  }
}

// Float matrix-vector: per-lane partial sums, then a fixed reduction tree. Both the
// tail's `a` and B lanes are zeroed so that an inf in a re-read B lane cannot make NaN.
void F32Gemv(const float* a, std::size_t K, const float* B, std::size_t ldb, std::size_t count,
             float* out) {
  const DF df;
  using VF = hn::Vec<DF>;
  const std::size_t L = hn::Lanes(df);
  const std::size_t full = K / L * L;
  const std::size_t tail_start = K - L;
  const auto keep = hn::Not(hn::FirstN(df, L - (K - full)));
  const VF a_tail = hn::IfThenElseZero(keep, hn::LoadU(df, a + tail_start));
  const bool has_tail = full != K;
  std::size_t j = 0;
  for (; j + 4 <= count; j += 4) {
    const float* b0 = B + j * ldb;
    const float* b1 = b0 + ldb;
    const float* b2 = b1 + ldb;
    const float* b3 = b2 + ldb;
    VF s0 = hn::Zero(df), s1 = s0, s2 = s0, s3 = s0;
    for (std::size_t k = 0; k < full; k += L) {
      const VF va = hn::LoadU(df, a + k);
      s0 = hn::MulAdd(va, hn::LoadU(df, b0 + k), s0);
      s1 = hn::MulAdd(va, hn::LoadU(df, b1 + k), s1);
      s2 = hn::MulAdd(va, hn::LoadU(df, b2 + k), s2);
      s3 = hn::MulAdd(va, hn::LoadU(df, b3 + k), s3);
    }
    if (has_tail) {
      s0 = hn::MulAdd(a_tail, hn::IfThenElseZero(keep, hn::LoadU(df, b0 + tail_start)), s0);
      s1 = hn::MulAdd(a_tail, hn::IfThenElseZero(keep, hn::LoadU(df, b1 + tail_start)), s1);
      s2 = hn::MulAdd(a_tail, hn::IfThenElseZero(keep, hn::LoadU(df, b2 + tail_start)), s2);
      s3 = hn::MulAdd(a_tail, hn::IfThenElseZero(keep, hn::LoadU(df, b3 + tail_start)), s3);
    }
    out[j + 0] = hn::GetLane(hn::SumOfLanes(df, s0));
    out[j + 1] = hn::GetLane(hn::SumOfLanes(df, s1));
    out[j + 2] = hn::GetLane(hn::SumOfLanes(df, s2));
    out[j + 3] = hn::GetLane(hn::SumOfLanes(df, s3));
  }
  for (; j < count; ++j) {
    const float* bj = B + j * ldb;
    VF s = hn::Zero(df);
    for (std::size_t k = 0; k < full; k += L) {
      s = hn::MulAdd(hn::LoadU(df, a + k), hn::LoadU(df, bj + k), s);
    }
    if (has_tail) {
      s = hn::MulAdd(a_tail, hn::IfThenElseZero(keep, hn::LoadU(df, bj + tail_start)), s);
    }
    out[j] = hn::GetLane(hn::SumOfLanes(df, s));
  }
}

// ---- operand magnitude (for the accumulator bound) ----------------------------------
template <typename T>
std::int64_t MaxAbsT(const T* p, std::size_t rows, std::size_t cols, std::size_t ld) {
  const hn::ScalableTag<T> d;
  const std::size_t L = hn::Lanes(d);
  auto vmax = hn::Set(d, T{0}), vmin = hn::Set(d, T{0});
  std::int64_t hi = 0, lo = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const T* row = p + r * ld;
    std::size_t c = 0;
    for (; c + L <= cols; c += L) {
      const auto v = hn::LoadU(d, row + c);
      vmax = hn::Max(vmax, v);
      vmin = hn::Min(vmin, v);
    }
    for (; c < cols; ++c) {
      hi = row[c] > hi ? row[c] : hi;
      lo = row[c] < lo ? row[c] : lo;
    }
  }
  const std::int64_t vhi = hn::GetLane(hn::MaxOfLanes(d, vmax));
  const std::int64_t vlo = hn::GetLane(hn::MinOfLanes(d, vmin));
  hi = vhi > hi ? vhi : hi;
  lo = vlo < lo ? vlo : lo;
  return hi > -lo ? hi : -lo;
}
std::int64_t MaxAbsI16(const std::int16_t* p, std::size_t r, std::size_t c, std::size_t ld) {
  return MaxAbsT(p, r, c, ld);
}
std::int64_t MaxAbsI32(const std::int32_t* p, std::size_t r, std::size_t c, std::size_t ld) {
  return MaxAbsT(p, r, c, ld);
}

// ---- output stage (detail/output_stage.h) in SIMD ------------------------------------
// x = acc + bias; RoundingShiftRight64<Q>(x, shift) (0 <= shift <= 62); clamp to the
// output format, counting; ReLU; store. The int64 form equals FinishRowT's fast branch;
// a vector where acc + bias overflows int64 (FinishRowT's int128 branch) is handed to
// FinishRowT itself. Not for kStochastic or kWrap (the driver keeps FinishRowT there).
template <num::Quant Q>
HWY_INLINE hn::Vec<D64> ShiftRound(hn::Vec<D64> x, int shift) {
  const D64 d;
  const auto floor_q = hn::ShiftRightSame(x, shift);
  if constexpr (Q == num::Quant::kFloor) {
    return floor_q;
  } else {
    const auto rem = hn::And(x, hn::Set(d, (std::int64_t{1} << shift) - 1));
    const auto half = hn::Set(d, std::int64_t{1} << (shift - 1));
    hn::Mask<D64> up;
    if constexpr (Q == num::Quant::kTowardZero) {
      up = hn::And(hn::Lt(x, hn::Zero(d)), hn::Ne(rem, hn::Zero(d)));
    } else if constexpr (Q == num::Quant::kHalfUp) {
      up = hn::Not(hn::Lt(rem, half));
    } else {  // kHalfEven
      const auto odd = hn::Ne(hn::And(floor_q, hn::Set(d, 1)), hn::Zero(d));
      up = hn::Or(hn::Gt(rem, half), hn::And(hn::Eq(rem, half), odd));
    }
    return hn::Sub(floor_q, hn::VecFromMask(d, up));
  }
}

template <typename Acc, typename TC, num::Quant Q>
void FinishRowSimdT(const Acc* acc, int count, int i, int j0, TC* c_row, const FinishContext& f,
                    std::uint64_t* saturations) {
  const D64 d;
  const int L = static_cast<int>(hn::Lanes(d));
  const OutputStage& s = f.stage;
  const auto lo = hn::Set(d, f.min_raw), hi = hn::Set(d, f.max_raw), zero = hn::Zero(d);
  std::uint64_t sat = 0;
  int t = 0;
  for (; t + L <= count; t += L) {
    hn::Vec<D64> a;
    if constexpr (sizeof(Acc) == 4) {
      a = hn::PromoteTo(d, hn::LoadU(hn::Rebind<std::int32_t, D64>(), acc + t));
    } else {
      a = hn::LoadU(d, acc + t);
    }
    hn::Vec<D64> x = a;
    if (s.bias != nullptr) {
      const auto b = hn::LoadU(d, s.bias + j0 + t);
      x = hn::Add(a, b);
      // Signed overflow iff a and b share a sign that x lacks.
      const auto ovf = hn::And(hn::Xor(a, x), hn::Xor(b, x));
      if (!hn::AllFalse(d, hn::Lt(ovf, zero))) {
        FinishRowT<Acc, TC, Q, num::Overflow::kSaturate>(acc + t, L, i, j0 + t, c_row, f, &sat);
        continue;
      }
    }
    const auto y = f.shift == 0 ? x : ShiftRound<Q>(x, f.shift);
    auto v = hn::Min(hn::Max(y, lo), hi);
    sat += hn::CountTrue(d, hn::Ne(v, y));
    if (s.relu) v = hn::Max(v, zero);
    const auto bits = hn::BitCast(hn::RebindToUnsigned<D64>(), v);
    if constexpr (sizeof(TC) == 4) {
      const hn::Rebind<std::uint32_t, D64> du32;
      hn::StoreU(hn::BitCast(hn::Rebind<std::int32_t, D64>(), hn::TruncateTo(du32, bits)),
                 hn::Rebind<std::int32_t, D64>(), c_row + j0 + t);
    } else {
      const hn::Rebind<std::uint16_t, D64> du16;
      hn::StoreU(hn::BitCast(hn::Rebind<std::int16_t, D64>(), hn::TruncateTo(du16, bits)),
                 hn::Rebind<std::int16_t, D64>(), c_row + j0 + t);
    }
  }
  if (t < count) FinishRowT<Acc, TC, Q, num::Overflow::kSaturate>(acc + t, count - t, i, j0 + t, c_row, f, &sat);
  *saturations += sat;
}

template <typename Acc, typename TC>
FinishRowFn<Acc, TC> SelectFinishRowSimd(num::Quant q) {
  switch (q) {
    case num::Quant::kFloor: return &FinishRowSimdT<Acc, TC, num::Quant::kFloor>;
    case num::Quant::kTowardZero: return &FinishRowSimdT<Acc, TC, num::Quant::kTowardZero>;
    case num::Quant::kHalfUp: return &FinishRowSimdT<Acc, TC, num::Quant::kHalfUp>;
    case num::Quant::kHalfEven: return &FinishRowSimdT<Acc, TC, num::Quant::kHalfEven>;
    case num::Quant::kStochastic: break;
  }
  return nullptr;
}
FinishRowFn<std::int32_t, std::int16_t> SelectFinish32To16(num::Quant q) { return SelectFinishRowSimd<std::int32_t, std::int16_t>(q); }
FinishRowFn<std::int32_t, std::int32_t> SelectFinish32To32(num::Quant q) { return SelectFinishRowSimd<std::int32_t, std::int32_t>(q); }
FinishRowFn<std::int64_t, std::int16_t> SelectFinish64To16(num::Quant q) { return SelectFinishRowSimd<std::int64_t, std::int16_t>(q); }
FinishRowFn<std::int64_t, std::int32_t> SelectFinish64To32(num::Quant q) { return SelectFinishRowSimd<std::int64_t, std::int32_t>(q); }

SimdKernels GetKernels() {
  SimdKernels k;
  k.target_name = hwy::TargetName(HWY_TARGET);
  const std::size_t L32 = hn::Lanes(D32()), L64 = hn::Lanes(D64()), LF = hn::Lanes(DF());
  k.i16_rows = kTileRows;
  k.i16_cols = static_cast<int>(2 * L32);
  k.i16_tile = &I16Tile;
  k.i16_tile_wide = &I16TileWide;
  k.split_pieces_i32 = &SplitPiecesI32;
  k.i64_gemv_16_16 = &I64Gemv1616;
  k.i64_gemv_16_32 = &I64Gemv1632;
  k.i64_gemv_32_16 = &I64Gemv3216;
  k.i64_gemv_32_32 = &I64Gemv3232;
  k.finish_32_to_16 = &SelectFinish32To16;
  k.finish_32_to_32 = &SelectFinish32To32;
  k.finish_64_to_16 = &SelectFinish64To16;
  k.finish_64_to_32 = &SelectFinish64To32;
  k.i16_gemv_min_k = hn::Lanes(D16());
  k.i16_gemv = &I16Gemv;
  k.i16_gemv_pieces = &I16GemvPieces;
  k.i16_gemv_pieces_cols = &I16GemvPiecesCols;
  k.pair_columns = &PairColumns;
  k.i64_rows = kTileRows;
  k.i64_cols = static_cast<int>(2 * L64);
  k.i64_tile_a16 = &I64TileA16;
  k.i64_tile_a32 = &I64TileA32;
  k.f32_rows = kTileRows;
  k.f32_cols = static_cast<int>(2 * LF);
  k.f32_tile = &F32Tile;
  k.f32_gemv_min_k = LF;
  k.f32_gemv = &F32Gemv;
  k.max_abs_i16 = &MaxAbsI16;
  k.max_abs_i32 = &MaxAbsI32;
  return k;
}
#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace fixar::kern::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace fixar::kern::detail {

HWY_EXPORT(GetKernels);

namespace {

std::int64_t HighwayTargetOf(Path p) {
  switch (p) {
    case Path::kSse4: return HWY_SSE4;
    case Path::kAvx2: return HWY_AVX2;
    case Path::kAvx512: return HWY_AVX3;
    case Path::kAvx512Vnni: return HWY_AVX3_DL;
    case Path::kReference: break;
  }
  return 0;
}

// Entry of HWY_EXPORT's table that HWY_DYNAMIC_DISPATCH would use for `target`.
std::size_t DispatchIndex(std::int64_t target) {
  return hwy::Num0BitsBelowLS1Bit_Nonzero64(
      static_cast<std::uint64_t>(HWY_CHOSEN_TARGET_SHIFT(target)));
}

struct KernelTables {
  SimdKernels by_path[5];
  bool supported[5] = {true, false, false, false, false};
  KernelTables() {
    const std::int64_t cpu = hwy::SupportedTargets();
    for (Path p : {Path::kSse4, Path::kAvx2, Path::kAvx512, Path::kAvx512Vnni}) {
      const std::int64_t t = HighwayTargetOf(p);
      const auto fn = HWY_DISPATCH_TABLE(GetKernels)[DispatchIndex(t)];
      const int i = static_cast<int>(p);
      supported[i] = (HWY_TARGETS & t) != 0 && (cpu & t) != 0 && fn != nullptr;
      if (supported[i]) by_path[i] = fn();
    }
  }
};

const KernelTables& Tables() {
  static const KernelTables tables;  // thread-safe initialisation (C++11 statics)
  return tables;
}

}  // namespace

std::size_t HighwayDispatchIndex(Path p) { return DispatchIndex(HighwayTargetOf(p)); }

bool PathSupported(Path p) {
  const int i = static_cast<int>(p);
  return i >= 0 && i < 5 && Tables().supported[i];
}

const SimdKernels& KernelsFor(Path p) {
  if (p == Path::kReference) {
    throw std::invalid_argument("kern::detail::KernelsFor: the reference path has no SIMD kernels");
  }
  if (!PathSupported(p)) {
    throw std::invalid_argument(std::string("kern::detail::KernelsFor: path '") + to_string(p) +
                                "' is not supported by this CPU or build");
  }
  return Tables().by_path[static_cast<int>(p)];
}

}  // namespace fixar::kern::detail
#endif  // HWY_ONCE
