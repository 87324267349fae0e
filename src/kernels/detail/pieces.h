// Internal: 32-bit operands written as sums of int16 pieces, shared by the products
// (gemm.cpp) and the weight caches (weight_pieces.cpp).
//
// FIXAR's PE computes 32 × 16 as two 16 × 16 products. Here a 32-bit operand x is written
// x = Σ_p piece_p · 2^(11·p): balanced 11-bit digits piece_p in [-1024, 1023] and a top
// piece that fits int16 (2 pieces when |x| < ~2^26, 3 for any int32). Then
//   A'·B'ᵀ = Σ_{p,q} 2^(11·(p+q)) · (A'_p · B'_qᵀ),
// each A'_p · B'_qᵀ an int16 product summed exactly in int32 chunks, the chunk sums
// shifted and added in int64. int64 addition wraps modulo 2^64, so the result is exact
// whenever the true sum fits int64.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace fixar::kern::detail {

inline constexpr int kPieceBits = 11;
inline constexpr std::int64_t kPieceHalf = std::int64_t{1} << (kPieceBits - 1);
inline constexpr int kMaxPieces = 3;

struct Pieces {
  int count = 1;
  std::int64_t bound[kMaxPieces] = {};  // max |piece p|
};

// max_abs: max |x| of the operand; int16 operands (max_abs <= 32768) stay one piece.
inline Pieces PlanPieces(std::int64_t max_abs, bool is_int16) {
  Pieces pc;
  if (is_int16 || max_abs <= 32767) {
    pc.bound[0] = max_abs;
    return pc;
  }
  // |rest after p digits| <= floor(max_abs / 2^(11p)) + 1 (each digit step rounds to nearest).
  pc.count = 2;
  while (pc.count < kMaxPieces && (max_abs >> (kPieceBits * (pc.count - 1))) + 1 > 32767) ++pc.count;
  for (int p = 0; p + 1 < pc.count; ++p) pc.bound[p] = kPieceHalf;
  pc.bound[pc.count - 1] = (max_abs >> (kPieceBits * (pc.count - 1))) + 1;
  return pc;
}

// All `count` pieces of x, lowest first.
inline void PiecesOf(std::int64_t x, int count, std::int16_t* out) {
  for (int p = 0; p + 1 < count; ++p) {
    const std::int64_t digit = ((x + kPieceHalf) & (2 * kPieceHalf - 1)) - kPieceHalf;
    out[p] = static_cast<std::int16_t>(digit);
    x = (x - digit) >> kPieceBits;  // exact
  }
  out[count - 1] = static_cast<std::int16_t>(x);
}

// Pairs per int32 chunk of a piece product whose operands are bounded by a_bound and
// b_bound: each int32 lane adds one pair per step, at most 2·a_bound·b_bound, so
// chunk·2·a_bound·b_bound <= INT32_MAX keeps every lane (and every partial sum of the
// chunk) exact. Callers keep 2·a_bound·b_bound below 2^31 (a piece of a split operand is
// at most 32767; the batch-1 product of one-piece int16 operands checks it), so that a
// chunk of 1 is exact; `cap` (the pairs there are) when the product is 0.
inline std::int64_t ChunkPairs(std::int64_t a_bound, std::int64_t b_bound, std::int64_t cap) {
  const std::int64_t prod = a_bound * b_bound;
  if (prod == 0) return std::max<std::int64_t>(cap, 1);
  return std::max<std::int64_t>(1, std::min<std::int64_t>(cap, std::numeric_limits<std::int32_t>::max() / (2 * prod)));
}

}  // namespace fixar::kern::detail
