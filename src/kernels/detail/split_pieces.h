// Internal: one row of an int16 or int32 operand into its int16 pieces (detail/pieces.h),
// with the SIMD splitter of a path (int16 rows widened in blocks) or, without one (the
// reference path), the scalar PiecesOf: the same digits either way.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/detail/pieces.h"
#include "kernels/detail/simd_kernels.h"

namespace fixar::kern::detail {

template <typename T>
void SplitPiecesRow(const T* x, std::size_t n, int count, std::int16_t* const* out, const SimdKernels* kt) {
  if (kt == nullptr) {
    std::int16_t pc[kMaxPieces];
    for (std::size_t c = 0; c < n; ++c) {
      PiecesOf(x[c], count, pc);
      for (int p = 0; p < count; ++p) out[p][c] = pc[p];
    }
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    kt->split_pieces_i32(x, n, count, out);
  } else {  // int16: widened in blocks for the 32-bit splitter
    constexpr std::size_t kBlock = 256;
    std::int32_t wide[kBlock];
    for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
      const std::size_t len = std::min(kBlock, n - c0);
      std::copy(x + c0, x + c0 + len, wide);
      std::int16_t* dst[kMaxPieces];
      for (int p = 0; p < count; ++p) dst[p] = out[p] + c0;
      kt->split_pieces_i32(wide, len, count, dst);
    }
  }
}

}  // namespace fixar::kern::detail
