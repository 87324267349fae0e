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

#include "kernels/gemm.h"

namespace fixar::kern::detail {

// Largest tile any target uses (rows MR x columns NR), for stack buffers.
inline constexpr int kMaxTileRows = 8;
inline constexpr int kMaxTileCols = 32;

struct SimdKernels {
  const char* target_name = "";

  // int16 x int16 -> int32: pairs [pair_begin, pair_end) of a K-long dot product.
  // a_rows[r] is row r of A' (K elements; pair K/2 of an odd K reads only element K-1).
  int i16_rows = 0, i16_cols = 0;  // MR, NR
  void (*i16_tile)(const std::int16_t* const* a_rows, std::size_t K, std::size_t pair_begin,
                   std::size_t pair_end, const std::int16_t* panel, std::int32_t* out) = nullptr;
  // C'(j) = dot(B[j, 0:K], a) for j in [0, count), B rows ldb apart; needs K >= i16_gemv_min_k.
  std::size_t i16_gemv_min_k = 0;
  void (*i16_gemv)(const std::int16_t* a, std::size_t K, const std::int16_t* B, std::size_t ldb,
                   std::size_t count, std::int32_t* out) = nullptr;

  // (int16|int32) x (int16|int32) -> int64: k in [k_begin, k_end), panel of int64 values.
  int i64_rows = 0, i64_cols = 0;
  void (*i64_tile_a16)(const std::int16_t* const* a_rows, std::size_t k_begin, std::size_t k_end,
                       const std::int64_t* panel, std::int64_t* out) = nullptr;
  void (*i64_tile_a32)(const std::int32_t* const* a_rows, std::size_t k_begin, std::size_t k_end,
                       const std::int64_t* panel, std::int64_t* out) = nullptr;

  // float32 with fused multiply-add (where the target has it), k summed in order 0..K-1.
  int f32_rows = 0, f32_cols = 0;
  void (*f32_tile)(const float* const* a_rows, std::size_t K, const float* panel,
                   float* out) = nullptr;
  std::size_t f32_gemv_min_k = 0;
  void (*f32_gemv)(const float* a, std::size_t K, const float* B, std::size_t ldb,
                   std::size_t count, float* out) = nullptr;

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
