// Internal: the table of SIMD micro-kernels one Highway target provides, and how the
// driver (gemm.cpp) finds the table of a Path. Not part of the public API.
//
// Packed panel layouts (B' is the N×K "one row per output column" view of B):
//   int16 pairs : panel of NR columns, for each k-pair p, for each column c:
//                 {B'(c, 2p), B'(c, 2p+1)}  -> one vpmaddwd/vpdpwssd operand per p
//   int64 / f32 : panel of NR columns, for each k, for each column c: B'(c, k)
// Columns and the odd last k beyond N / K are zero.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/detail/output_stage.h"
#include "kernels/detail/pieces.h"
#include "kernels/gemm.h"

namespace fixar::kern::detail {

// Largest tile any target uses (rows MR x columns NR), for stack buffers.
inline constexpr int kMaxTileRows = 8;
inline constexpr int kMaxTileCols = 32;

// A batch-1 product of int16 pieces (detail/pieces.h) over rows padded with zeros to ld
// elements, a multiple of every target's int16 vector length (WeightPieces::kPieceRowAlign):
//   out[j] = Σ_{p < a_count, q < b_count} 2^(11·(p+q)) · Σ_{k < ld} a[p][k] · b[q][j·ld + k].
// Each piece product is summed in int32 lanes, one pair per lane and vector step, for at
// most chunk_pairs[p][q] steps (detail::ChunkPairs: every lane stays exact), then widened
// into int64 lanes shifted by 11·(p+q); int64 wraps modulo 2^64, so out[j] is exact when the
// true sum fits int64.
//
// The column form (WeightPieces::columns, short K) reads the same sums with b[q] at output
// j's pair in pair row 0 and `ld` int16 elements from one pair row to the next, `pairs`
// pair rows: out[j] = Σ_{p,q} 2^(11·(p+q)) · Σ_{t < pairs} a[p][2t]·b[q][t·ld + 2j] +
// a[p][2t+1]·b[q][t·ld + 2j + 1]; one output per int32 lane, so no horizontal sums.
struct PieceGemv {
  const std::int16_t* a[kMaxPieces] = {};
  int a_count = 0;
  const std::int16_t* b[kMaxPieces] = {};
  int b_count = 0;
  std::size_t ld = 0;
  std::size_t pairs = 0;  // column form only
  std::size_t chunk_pairs[kMaxPieces][kMaxPieces] = {};
};

struct SimdKernels {
  const char* target_name = "";

  // int16 x int16 -> int32: pairs [pair_begin, pair_end) of a K-long dot product.
  // a_rows[r] is row r of A' (K elements; pair K/2 of an odd K reads only element K-1).
  int i16_rows = 0, i16_cols = 0;  // MR, NR
  void (*i16_tile)(const std::int16_t* const* a_rows, std::size_t K, std::size_t pair_begin,
                   std::size_t pair_end, const std::int16_t* panel, std::int32_t* out) = nullptr;
  // The same tile summed in int32 chunks of `chunk_pairs` pairs, each chunk sign-extended,
  // shifted left by `shift` and added to out (int64, MR x NR, row stride NR; modulo 2^64).
  void (*i16_tile_wide)(const std::int16_t* const* a_rows, std::size_t K, std::size_t chunk_pairs,
                        const std::int16_t* panel, int shift, std::int64_t* out) = nullptr;
  // x[0, n) -> `count` (1..3) int16 pieces out[p][0, n), x = Σ piece_p · 2^(11p): balanced
  // 11-bit digits, the last piece the rest (the caller's bound makes it fit int16).
  void (*split_pieces_i32)(const std::int32_t* x, std::size_t n, int count, std::int16_t* const* out) = nullptr;
  // C'(j) = dot(B[j, 0:K], a) for j in [0, count), B rows ldb apart; needs K >= i16_gemv_min_k.
  std::size_t i16_gemv_min_k = 0;
  void (*i16_gemv)(const std::int16_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb,
                   std::size_t count, std::int32_t* out) = nullptr;

  // WeightPieces' column form: the int32 of int16 elements 2t, 2t + 1 of row r (rows ld
  // apart) -> int32 element t·stride + r of dst, for r < rows, t < pairs.
  void (*pair_columns)(const std::int16_t* src, std::size_t ld, std::size_t rows, std::size_t pairs,
                       std::int16_t* dst, std::size_t stride) = nullptr;
  // out[j] for j in [0, count) of a PieceGemv.
  void (*i16_gemv_pieces)(const PieceGemv& g, std::size_t count, std::int64_t* out) = nullptr;
  // The same in column form: reads whole vectors of kColumnAlign-padded outputs past count
  // (the pair rows' padding, zero), so j must start at a multiple of kColumnAlign.
  void (*i16_gemv_pieces_cols)(const PieceGemv& g, std::size_t count, std::int64_t* out) = nullptr;

  // (int16|int32) x (int16|int32) -> int64: k in [k_begin, k_end), panel of int64 values.
  int i64_rows = 0, i64_cols = 0;
  void (*i64_tile_a16)(const std::int16_t* const* a_rows, std::size_t k_begin, std::size_t k_end,
                       const std::int64_t* panel, std::int64_t* out) = nullptr;
  void (*i64_tile_a32)(const std::int32_t* const* a_rows, std::size_t k_begin, std::size_t k_end,
                       const std::int64_t* panel, std::int64_t* out) = nullptr;

  // Matrix-vector with int64 sums for any operand widths (batch-1 forward without packing):
  // out[j] = Σ_k a[k]·B[j·ldb + k], j < count; exact when the sum bound fits int64.
  void (*i64_gemv_16_16)(const std::int16_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb,
                         std::size_t count, std::int64_t* out) = nullptr;
  void (*i64_gemv_16_32)(const std::int16_t* a, std::size_t K, const std::int32_t* B, std::size_t ldb,
                         std::size_t count, std::int64_t* out) = nullptr;
  void (*i64_gemv_32_16)(const std::int32_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb,
                         std::size_t count, std::int64_t* out) = nullptr;
  void (*i64_gemv_32_32)(const std::int32_t* a, std::size_t K, const std::int32_t* B, std::size_t ldb,
                         std::size_t count, std::int64_t* out) = nullptr;

  // float32 with fused multiply-add (where the target has it), k summed in order 0..K-1.
  int f32_rows = 0, f32_cols = 0;
  void (*f32_tile)(const float* const* a_rows, std::size_t K, const float* panel,
                   float* out) = nullptr;
  std::size_t f32_gemv_min_k = 0;
  void (*f32_gemv)(const float* a, std::size_t K, const float* B, std::size_t ldb,
                   std::size_t count, float* out) = nullptr;

  // The output stage of a row segment in SIMD (detail/output_stage.h), per accumulator
  // and C type; null for a rounding mode it does not cover (kStochastic). The driver uses
  // them only with overflow kSaturate and 0 <= shift <= 62.
  FinishRowFn<std::int32_t, std::int16_t> (*finish_32_to_16)(num::Quant q) = nullptr;
  FinishRowFn<std::int32_t, std::int32_t> (*finish_32_to_32)(num::Quant q) = nullptr;
  FinishRowFn<std::int64_t, std::int16_t> (*finish_64_to_16)(num::Quant q) = nullptr;
  FinishRowFn<std::int64_t, std::int32_t> (*finish_64_to_32)(num::Quant q) = nullptr;

  // Largest |x| over a rows x cols block (row stride ld), as int64 (|INT32_MIN| fits).
  std::int64_t (*max_abs_i16)(const std::int16_t* p, std::size_t rows, std::size_t cols,
                              std::size_t ld) = nullptr;
  std::int64_t (*max_abs_i32)(const std::int32_t* p, std::size_t rows, std::size_t cols,
                              std::size_t ld) = nullptr;
};

// Whether this build has code for the path AND this CPU can run it (kReference: true).
bool PathSupported(Path p);
// The kernels of a SIMD path; throws std::invalid_argument for kReference or an
// unsupported path. Thread-safe: it reads Highway's dispatch table by index and never
// changes Highway's global target selection.
const SimdKernels& KernelsFor(Path p);

}  // namespace fixar::kern::detail
